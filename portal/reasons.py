"""Reasons the portal writes itself, for a refund or a cancelled order.

They are stored as written here, in English: the payment's history and the audit trail read the
same whoever looks. A page shows them in the reader's language through `reason` (a template
filter); a reason a person typed (an owner's "sold out", a clerk's rejection) is shown as typed.
Callers pass these constants, so every reason the portal writes has its translation here.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

CANCELLED_BEFORE_PAYMENT = "cancelled before payment"
CANCELLED_BY_CUSTOMER = "Cancelled by the customer"
VOUCHER_HOLD_EXPIRED = "voucher hold expired: not paid in time"
ROUTE_CLOSED = "Ijen route closed"
PAID_AFTER_BOOKING_ENDED = "paid after the booking ended"
SEAT_GONE = "seat no longer available"
CANCELLED_BY_TOURIST = "cancelled by the tourist"
REQUEST_CANCELLED = "request cancelled"
REQUEST_REJECTED = "request rejected"
SENT_ELECTRONICALLY = "sent electronically"
REFUNDED_AT_STRIPE = "refunded at Stripe"

LABELS = {
    CANCELLED_BEFORE_PAYMENT: _l("Cancelled before payment"),
    CANCELLED_BY_CUSTOMER: _l("Cancelled by the customer"),
    VOUCHER_HOLD_EXPIRED: _l("Not paid in time: the voucher's hold ended"),
    ROUTE_CLOSED: _l("The Ijen route was closed"),
    PAID_AFTER_BOOKING_ENDED: _l("Paid after the booking had ended"),
    SEAT_GONE: _l("The seat was no longer available"),
    CANCELLED_BY_TOURIST: _l("Cancelled by the tourist"),
    REQUEST_CANCELLED: _l("Request cancelled"),
    REQUEST_REJECTED: _l("Request rejected"),
    SENT_ELECTRONICALLY: _l("Sent electronically"),
    REFUNDED_AT_STRIPE: _l("Refunded by the card service"),
}


def reason(text: str | None) -> str:
    """A stored reason in the reader's language: the portal's own translated, a person's as typed."""
    if not text:
        return ""
    label = LABELS.get(text)
    return str(label) if label is not None else text


def init_app(app: Flask) -> None:
    app.add_template_filter(reason)
