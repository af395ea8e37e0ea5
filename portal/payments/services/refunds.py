"""Giving money back. A Refund row is written before Stripe is asked, with a key that guards
against refunding twice; its outcome is applied once, whichever of the answer, the webhook or
the reconcile poll brings it first. A queued refund (Stripe down) is sent by reconcile."""

from __future__ import annotations

import logging
from datetime import datetime

from flask_babel import lazy_gettext as _l

from portal import reasons
from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db
from portal.payments import client as stripe_api
from portal.payments import signals
from portal.payments.client import StripeError
from portal.payments.models import Payment, PaymentMethod, PaymentStatus, Refund, RefundStatus
from portal.payments.services.checkout import cancel
from portal.payments.services.moves import PaymentError, add_note, lock, move_payment

log = logging.getLogger(__name__)


def refund(
    payment: Payment, *, amount: int | None = None, reason: str, by: User | None = None, now: datetime | None = None
) -> None:
    """Give money back: all that is left (amount=None) or `amount` rupiah.

    A payment nobody paid yet (pending, declined) is cancelled instead: its PaymentIntent can
    then never charge. Cash is recorded as handed back; a subsidy as not claimed.
    """
    now = now or utcnow()
    payment = lock(payment)
    if payment.state.open:
        cancel(payment, note=reason, source="refund", by=by, now=now)
        payment = lock(payment)
        if payment.state.open or payment.state == PaymentStatus.CANCELLED:
            return
    if payment.refundable <= 0:
        raise PaymentError(_l("There is nothing left to refund on this payment."))
    amount = payment.refundable if amount is None else int(amount)
    if not 0 < amount <= payment.refundable:
        raise PaymentError(_l("A refund must be between Rp1 and the amount paid."))
    number = len(payment.refunds) + 1
    row = Refund(
        payment=payment,
        amount=amount,
        reason=reason[:300],
        idempotency_key=f"refund-{payment.id}-{number}",
        by_id=by.id if by else None,
        created_at=now,
    )
    db.session.add(row)
    status = "succeeded"  # cash handed back, subsidy not claimed
    if payment.kind == PaymentMethod.CARD:
        status = submit_refund(payment, row)
        if status is None:
            # Not lost: the row waits with its key and `reconcile` sends it when Stripe answers.
            add_note(
                payment,
                f"refund of {amount} queued (payment service not answering): {reason}",
                source="refund",
                now=now,
            )
            db.session.flush()
            return
    add_note(payment, f"refund of {amount} asked: {reason}", source="refund", now=now)
    db.session.flush()
    settle_refund(payment, row, status, now=now)


def submit_refund(payment: Payment, row: Refund) -> str | None:
    """Ask Stripe for the refund; its status, or None if Stripe could not be reached.

    A refund already at Stripe under this row's key is adopted, not asked for again: a job that
    died after Stripe refunded and before our commit (a killed worker) left one there and none
    here, and its retry makes the same row with the same key. Stripe's Idempotency-Key would
    answer with that refund too, but only for 24 hours, and localstripe ignores it."""
    api = stripe_api.client()
    try:
        sent = [
            r
            for r in api.list_refunds(payment.intent_id)
            if (r.get("metadata") or {}).get("refund_key") == row.idempotency_key
        ]
        answer = (
            sent[0]
            if sent
            else api.create_refund(
                intent_id=payment.intent_id,
                amount=row.amount,
                metadata={"payment_id": payment.id, "refund_key": row.idempotency_key},
                key=row.idempotency_key,
            )
        )
    except StripeError as error:
        log.warning("payment %s: refund %s failed: %s", payment.id, row.idempotency_key, error)
        if error.unreachable:
            return None
        raise PaymentError(_l("The refund was refused by the payment service.")) from error
    row.refund_id = answer["id"]
    return answer.get("status")


def resend_refund(row: Refund, *, now: datetime) -> bool:
    """A refund queued while Stripe was down: adopt it if it did reach Stripe (same key in its
    metadata), else send it now. True once settled."""
    payment = lock(row.payment)
    db.session.refresh(row)
    if row.refund_id or row.state.final:
        return False
    try:
        status = submit_refund(payment, row)  # adopts it if it did reach Stripe
    except PaymentError:
        row.status = RefundStatus.FAILED
        row.settled_at = now
        add_note(payment, f"refund of {row.amount} refused by Stripe", source="reconcile", now=now)
        return False
    if status is None:
        return False
    settle_refund(payment, row, status, now=now)
    return row.state.final


def settle_refund(payment: Payment, row: Refund, status: str | None, *, now: datetime | None = None) -> None:
    """Apply a refund's outcome once (the refund row is locked with its payment): a settled
    refund has no way out, so a repeated answer finds nothing to do."""
    if row.state.final:
        return
    now = now or utcnow()
    if status == "succeeded":
        row.status = RefundStatus.SUCCEEDED
        row.settled_at = now
        payment.refunded_amount += row.amount
        new = PaymentStatus.REFUNDED if payment.refunded_amount >= payment.amount else PaymentStatus.PARTIALLY_REFUNDED
        move_payment(payment, new, source="refund", note=row.reason, amount=row.amount, now=now)
        signals.payment_refunded.send(payment, amount=row.amount)
    elif status in ("failed", "canceled"):
        row.status = RefundStatus.FAILED
        row.settled_at = now
        add_note(payment, f"refund of {row.amount} failed", source="refund", now=now)
    db.session.flush()


def sync_refunds(payment: Payment, *, now: datetime | None = None) -> None:
    """Read the outcome of the payment's refunds that Stripe has but has not settled yet."""
    pending = [r for r in payment.refunds if r.status == RefundStatus.PENDING and r.refund_id]
    if not pending:
        return
    payment = lock(payment)
    for row in pending:
        db.session.refresh(row)
        if row.state.final:
            continue
        answer = stripe_api.client().retrieve_refund(row.refund_id)
        settle_refund(payment, row, answer.get("status"), now=now)


def adopt_outside_refund(payment: Payment, stripe_refunded: int, *, now: datetime) -> None:
    """Stripe says more was refunded than we asked for (e.g. from the Stripe dashboard): record
    the difference as a refund, once (a repeated or older event finds nothing missing)."""
    payment = lock(payment)
    waiting = sum(r.amount for r in payment.refunds if r.status == RefundStatus.PENDING)
    missing = min(stripe_refunded, payment.amount) - payment.refunded_amount - waiting
    if missing <= 0 or not payment.state.paid:
        return
    row = Refund(
        payment=payment,
        amount=missing,
        reason=reasons.REFUNDED_AT_STRIPE,
        idempotency_key=f"refund-{payment.id}-{len(payment.refunds) + 1}",
        created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    settle_refund(payment, row, "succeeded", now=now)
