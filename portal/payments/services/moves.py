"""How a payment changes: under a row lock on the payment (SELECT ... FOR UPDATE on PostgreSQL;
on SQLite writers are already serialised), after re-reading the row, through `workflow.move`.

A move the flow does not allow (a second `succeeded`, a late `payment_failed`) is ignored: no
exception, no event, no signal. Webhooks, checkout returns and the reconcile poll all propose
moves, and can therefore race and repeat safely. Staff actions that find their move illegal
raise instead (see `mark_cash_received`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import notify, workflow
from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db
from portal.formatting import rupiah
from portal.payments import signals
from portal.payments.client import from_minor, to_minor
from portal.payments.declines import decline_code
from portal.payments.models import Payment, PaymentEvent, PaymentStatus
from portal.payments.services.reading import pay_url
from portal.workflow import DomainError

log = logging.getLogger(__name__)


class PaymentError(DomainError):
    """str(error) is a translated message for the user."""


def unreachable() -> PaymentError:
    return PaymentError(
        _l("The payment service is not answering right now. Nothing was charged; please try again in a few minutes.")
    )


def lock(payment: Payment) -> Payment:
    """Re-read the payment under a row lock: the state after the lock is what we decide on."""
    return db.session.scalars(
        select(Payment).where(Payment.id == payment.id).with_for_update().execution_options(populate_existing=True)
    ).one()


def move_payment(
    payment: Payment,
    new: PaymentStatus,
    *,
    source: str,
    note: str = "",
    by: User | None = None,
    amount: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Move the (locked, freshly read) payment if its flow allows it, and send the payment signal
    of the new status once. False, and nothing written, if the flow does not allow it."""
    if not payment.state.can_become(new):
        return False
    now = now or utcnow()
    if new == PaymentStatus.SUCCEEDED:
        payment.paid_at = now
        payment.failure_code = None
    workflow.move(payment, new, by=by, note=note[:300], now=now, source=source, amount=amount)
    if new == PaymentStatus.SUCCEEDED:
        signals.payment_succeeded.send(payment)
    elif new == PaymentStatus.FAILED:
        signals.payment_failed.send(payment)
        # At checkout the card page says it; otherwise tell the customer (one without an account
        # hears it from the payable's own page).
        if source != "checkout" and payment.customer_id is not None:
            notify.send(
                _l(
                    "Your card payment of %(amount)s was declined. Nothing was charged; you can try again with another card.",
                    amount=rupiah(payment.amount),
                ),
                user=db.session.get(User, payment.customer_id),
                url=pay_url(payment),
            )
    return True


def add_note(payment: Payment, text: str, *, source: str, now: datetime | None = None) -> None:
    """Log something that is not a move (an amount changed, a refund asked) in the payment's history."""
    db.session.add(
        PaymentEvent(payment=payment, status=payment.status, note=text[:300], source=source, at=now or utcnow())
    )


def intent_status(intent: dict[str, Any]) -> PaymentStatus:
    """Where a Stripe PaymentIntent says the payment is."""
    status = intent.get("status")
    if status == "succeeded":
        return PaymentStatus.SUCCEEDED
    if status in ("processing", "requires_capture"):
        return PaymentStatus.PROCESSING
    if status == "canceled":
        return PaymentStatus.CANCELLED
    if status == "requires_payment_method" and intent.get("last_payment_error"):
        return PaymentStatus.FAILED
    return PaymentStatus.PENDING


def apply_intent(payment: Payment, intent: dict[str, Any], *, source: str, now: datetime | None = None) -> bool:
    """Bring the payment in line with the PaymentIntent `intent`. Locks, re-reads, then moves."""
    payment = lock(payment)
    target = intent_status(intent)
    if target == payment.state == PaymentStatus.FAILED:
        # Declined again (another card, a failed 3-D Secure check): no move, but the customer
        # reads why this attempt failed, not the last one.
        code = decline_code(intent.get("last_payment_error"))
        if code != payment.failure_code:
            payment.failure_code = code
            add_note(payment, f"declined again: {code}", source=source, now=now)
        return False
    if target == payment.state or (target == PaymentStatus.PENDING and payment.state == PaymentStatus.FAILED):
        return False  # (a card declined when saved leaves the intent untouched: stay "declined")
    if not payment.state.can_become(target):
        return False  # late or out of order (e.g. `failed` after `succeeded`): changes nothing
    if target == PaymentStatus.SUCCEEDED and int(intent.get("amount") or 0) != to_minor(payment.amount):
        # The intent was confirmed for another amount than the payable now costs: record it loudly.
        log.warning(
            "payment %s: intent %s succeeded for %s, expected %s",
            payment.id,
            intent.get("id"),
            intent.get("amount"),
            to_minor(payment.amount),
        )
        add_note(payment, f"amount mismatch: charged {from_minor(intent.get('amount') or 0)}", source=source, now=now)
    text = ""
    if target == PaymentStatus.FAILED:
        payment.failure_code = decline_code(intent.get("last_payment_error"))
        text = ((intent.get("last_payment_error") or {}).get("message") or "declined")[:300]
    return move_payment(payment, target, source=source, note=text, now=now)
