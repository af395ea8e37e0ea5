"""What a customer reads about a declined card. Stored as Stripe's code on the payment, put into
words (in the reader's language) when shown: the model and the services both read it here."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l


def decline_code(error: dict[str, Any] | None) -> str:
    """Stripe's most specific reason for a decline, as stored on the payment."""
    error = error or {}
    return str(error.get("decline_code") or error.get("code") or "card_declined")[:40]


def decline_message(code: str | None):
    """What the customer reads about a decline (lazy: translated when shown)."""
    if code == "expired_card":
        return _l("Your card has expired. Please use another card.")
    if code in ("incorrect_cvc", "invalid_cvc"):
        return _l("The security code (CVC) is wrong. Please check it and try again.")
    if code == "insufficient_funds":
        return _l("Your card has insufficient funds. Please use another card.")
    return _l("Your card was declined. Nothing was charged; please try another card.")
