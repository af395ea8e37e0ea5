"""The refusal every food verb raises."""

from __future__ import annotations

from portal.workflow import DomainError


class FoodError(DomainError):
    """A refusal; str(error) is a translated message for the user."""
