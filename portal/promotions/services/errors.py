from portal.workflow import DomainError


class PromotionError(DomainError):
    """A refusal in promotions; str(error) is a translated message for the user."""
