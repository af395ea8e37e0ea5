"""Cash on delivery: the courier (or the warung) says the money was handed over."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from portal.accounts.models import User
from portal.payments.models import Payment, PaymentMethod, PaymentStatus
from portal.payments.services.moves import PaymentError, lock, move_payment


def mark_cash_received(payment: Payment, *, by: User, now: datetime | None = None) -> None:
    """The courier confirms the cash was handed over (idempotent). A staff action: if the payment
    can no longer be paid (it was cancelled), that is an error the courier reads."""
    payment = lock(payment)
    if payment.kind != PaymentMethod.CASH:
        raise PaymentError(_l("This payment is not paid in cash."))
    if payment.state.paid:
        return
    if not move_payment(
        payment, PaymentStatus.SUCCEEDED, source="staff", note="cash received", by=by, amount=payment.amount, now=now
    ):
        raise PaymentError(_l("This payment was cancelled."))
