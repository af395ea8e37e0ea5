"""What a customer reads when a card does not pay: one clear sentence in the page's language,
chosen from Stripe's `decline_code`, `code` or `type`, never Stripe's own English `message`
(localstripe's is "Bad request"). A decline is stored as its code on the payment and put into
words when shown; the card page's script gets the same words (`client_messages`), so the
server and static/js/payments.js never say different things about one error.

Lost, stolen and suspected-fraud declines read as a plain decline, as Stripe advises.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

DECLINED = _l("Your card was declined. Nothing was charged; please try another card.")
GENERIC = _l(
    "The card payment did not go through. Nothing was charged; please check your card details or try another card."
)
DETAILS = _l(
    "Please check your card details (card number, expiry month and year, CVC and postal code) and try again. "
    "Nothing was charged."
)
AUTHENTICATION = _l(
    "Your bank did not confirm this payment. Nothing was charged; please try again and finish your bank's check, "
    "or use another card."
)
TRY_LATER = _l("The payment service had a problem. Nothing was charged; please try again in a few minutes.")

_EXPIRED = _l("Your card has expired. Please use another card.")
_CVC = _l("The security code (CVC) is wrong. Please check it and try again.")
_FUNDS = _l("Your card has insufficient funds. Please use another card.")
_NUMBER = _l("The card number is not valid. Please check it and try again.")
_EXPIRY = _l("The expiry date is not valid. Please check the month and year.")
_POSTAL = _l("The postal code is not valid. Please check it and try again.")
_LIMIT = _l("Your card's limit has been reached. Nothing was charged; please use another card.")
_NOT_ACCEPTED = _l("This card cannot be used for this payment. Nothing was charged; please use another card.")
_AMOUNT = _l("This amount cannot be paid by card. Nothing was charged; please choose another way to pay.")


def _each(message, *codes: str) -> dict[str, Any]:
    return dict.fromkeys(codes, message)


# Stripe's decline codes (https://docs.stripe.com/declines/codes) and error codes
# (https://docs.stripe.com/error-codes), including Stripe.js's validation codes.
MESSAGES: dict[str, Any] = {
    **_each(_EXPIRED, "expired_card", "invalid_expiry_year_past"),
    **_each(_CVC, "incorrect_cvc", "invalid_cvc", "incomplete_cvc"),
    **_each(_FUNDS, "insufficient_funds"),
    **_each(_NUMBER, "incorrect_number", "invalid_number", "incomplete_number", "invalid_card_number"),
    **_each(_EXPIRY, "invalid_expiry_month", "invalid_expiry_year", "incomplete_expiry", "invalid_expiry_month_past"),
    **_each(_POSTAL, "incorrect_zip", "incomplete_zip", "postal_code_invalid", "invalid_zip"),
    **_each(_LIMIT, "card_velocity_exceeded", "withdrawal_count_limit_exceeded", "card_decline_rate_limit_exceeded"),
    **_each(
        _NOT_ACCEPTED,
        "card_not_supported",
        "currency_not_supported",
        "transaction_not_allowed",
        "restricted_card",
        "invalid_account",
        "new_account_information_available",
        "not_permitted",
        "security_violation",
        "service_not_allowed",
        "revocation_of_authorization",
        "revocation_of_all_authorizations",
        "stop_payment_order",
    ),
    **_each(_AMOUNT, "invalid_amount", "amount_too_small", "amount_too_large"),
    **_each(
        AUTHENTICATION,
        "authentication_required",
        "authentication_not_handled",
        "payment_intent_authentication_failure",
        "setup_intent_authentication_failure",
        "offline_pin_required",
        "online_or_offline_pin_required",
        "pin_try_exceeded",
    ),
    **_each(
        TRY_LATER,
        "processing_error",
        "try_again_later",
        "issuer_not_available",
        "reenter_transaction",
        "rate_limit",
        "approve_with_id",
    ),
    **_each(
        DECLINED,
        "card_declined",
        "generic_decline",
        "do_not_honor",
        "do_not_try_again",
        "call_issuer",
        "lost_card",
        "stolen_card",
        "pickup_card",
        "fraudulent",
        "merchant_blacklist",
        "no_action_taken",
        "testmode_decline",
        "duplicate_transaction",
    ),
}

# When no code is known: what each kind of Stripe error means to the customer.
TYPES: dict[str, Any] = {
    "card_error": DECLINED,
    "validation_error": DETAILS,
    "api_connection_error": TRY_LATER,
    "api_error": TRY_LATER,
    "rate_limit_error": TRY_LATER,
}


def decline_code(error: dict[str, Any] | None) -> str:
    """Stripe's most specific reason for a decline, as stored on the payment."""
    error = error or {}
    return str(error.get("decline_code") or error.get("code") or "card_declined")[:40]


def decline_message(code: str | None):
    """What the customer reads about a stored decline (lazy: translated when shown)."""
    return MESSAGES.get(code or "", DECLINED)


def card_error_message(error: dict[str, Any] | None, *, otherwise=GENERIC):
    """What the customer reads about an error Stripe answered (its `error` object): by decline
    code, then code, then type; `otherwise` when none of them is known. Never Stripe's text."""
    error = error if isinstance(error, dict) else {}
    for key in ("decline_code", "code"):
        message = MESSAGES.get(str(error.get(key) or ""))
        if message is not None:
            return message
    return TYPES.get(str(error.get("type") or ""), otherwise)


def client_messages() -> dict[str, Any]:
    """The same words for static/js/payments.js (Stripe.js reports token and 3-D Secure errors in
    the browser), in the page's language: each sentence once, codes and types pointing at it."""
    offline = _l(
        "The payment service is not answering right now. Nothing was charged; please try again in a few minutes."
    )
    sentences: list[str] = []

    def index(message) -> int:
        text = str(message)
        if text not in sentences:
            sentences.append(text)
        return sentences.index(text)

    return {
        "codes": {code: index(message) for code, message in MESSAGES.items()},
        "types": {kind: index(message) for kind, message in TYPES.items()},
        "details": index(DETAILS),
        "authentication": index(AUTHENTICATION),
        "generic": index(GENERIC),
        "offline": index(offline),
        "sentences": sentences,
    }
