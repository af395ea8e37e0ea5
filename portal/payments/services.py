"""Payment verbs. They flush, never commit: the route or job that calls them commits.

Every state change goes through `_move`, under a row lock on the payment (SELECT ... FOR UPDATE
on PostgreSQL; on SQLite writers are already serialised), after re-reading the row. A move the
transition table does not allow (a second `succeeded`, a late `payment_failed`) changes nothing
and sends nothing, so webhooks, checkout returns and the reconcile poll can all race safely.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from portal import notify
from portal.accounts.models import User
from portal.activity import ActivityItem, register_source
from portal.database import utcnow
from portal.extensions import db
from portal.formatting import rupiah
from portal.payments import signals
from portal.payments.client import StripeError, client, from_minor, to_minor
from portal.payments.models import (
    TRANSITIONS,
    Payment,
    PaymentEvent,
    PaymentMethod,
    PaymentStatus,
    Refund,
    RefundStatus,
    WebhookEvent,
)
from portal.workflow import DomainError

log = logging.getLogger(__name__)

PAYABLE_LABELS = {
    "food_order": _l("Food order"),
    "ride_booking": _l("Ijen ride"),
    "delivery_fee": _l("Delivery fee"),
    "demo": _l("Card payment test"),
}


class PaymentError(DomainError):
    """str(error) is a translated message for the user."""


def _unreachable() -> PaymentError:
    return PaymentError(
        _l("The payment service is not answering right now. Nothing was charged; please try again in a few minutes.")
    )


# Reading ----------------------------------------------------------------------------------


def payment_for(payable_type: str, payable_id: int) -> Payment | None:
    """The payable's payment (the open or paid one; a cancelled one only if there is no other)."""
    rows = db.session.scalars(
        select(Payment)
        .where(Payment.payable_type == payable_type, Payment.payable_id == payable_id)
        .order_by((Payment.status == PaymentStatus.CANCELLED.value).asc(), Payment.id.desc())
    ).all()
    return rows[0] if rows else None


def _current_for(payable_type: str, payable_id: int) -> Payment | None:
    return db.session.scalar(
        select(Payment).where(
            Payment.payable_type == payable_type,
            Payment.payable_id == payable_id,
            Payment.status != PaymentStatus.CANCELLED.value,
        )
    )


def by_intent(intent_id: str) -> Payment | None:
    return db.session.scalar(select(Payment).where(Payment.intent_id == intent_id))


def _lock(payment: Payment) -> Payment:
    """Re-read the payment under a row lock: the state after the lock is what we decide on."""
    return db.session.scalars(
        select(Payment).where(Payment.id == payment.id).with_for_update().execution_options(populate_existing=True)
    ).one()


def _path(endpoint: str, **values: Any) -> str:
    """A site-relative URL, also from jobs and the shell (no request there)."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def pay_url(payment: Payment) -> str:
    """The shared card page; after success it sends the customer to the payment's return_url."""
    return _path("payments.pay", payment_id=payment.id)


def receipt_url(payment: Payment) -> str:
    return _path("payments.receipt", payment_id=payment.id)


def payable_label(payment: Payment) -> str:
    label = PAYABLE_LABELS.get(payment.payable_type)
    return str(label) if label else payment.payable_type.replace("_", " ")


def start_demo_payment(customer: User) -> Payment:
    """Development only (`/payments/try`): a fresh Rp25.000 test payable, back to its receipt."""
    last = db.session.scalar(select(func.max(Payment.payable_id)).where(Payment.payable_type == "demo")) or 0
    payment = start_payment(
        payable_type="demo",
        payable_id=last + 1,
        customer=customer,
        amount=25_000,
        method=PaymentMethod.CARD,
        return_url="/",
    )
    payment.return_url = receipt_url(payment)
    return payment


# Moves ------------------------------------------------------------------------------------


def _move(
    payment: Payment,
    new: PaymentStatus,
    *,
    source: str,
    note: str = "",
    by: User | None = None,
    amount: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Change the (locked, freshly read) payment's status if the table allows it; write the event."""
    now = now or utcnow()
    old = payment.state
    if new not in TRANSITIONS[old]:
        return False
    payment.status = new.value
    payment.updated_at = now
    if new == PaymentStatus.SUCCEEDED:
        payment.paid_at = now
        payment.failure_code = None
    db.session.add(
        PaymentEvent(
            payment=payment,
            status=new.value,
            note=note[:300],
            source=source,
            amount=amount,
            by_id=by.id if by else None,
            at=now,
        )
    )
    db.session.flush()
    if new == PaymentStatus.SUCCEEDED:
        signals.payment_succeeded.send(payment)
    elif new == PaymentStatus.FAILED:
        signals.payment_failed.send(payment)
        if source != "checkout":  # at checkout the card page says it; otherwise tell the customer
            notify.send(
                _l(
                    "Your card payment of %(amount)s was declined. Nothing was charged; you can try again with another card.",
                    amount=rupiah(payment.amount),
                ),
                user=db.session.get(User, payment.customer_id),
                url=pay_url(payment),
            )
    return True


def _note(payment: Payment, note: str, *, source: str, now: datetime | None = None) -> None:
    db.session.add(
        PaymentEvent(payment=payment, status=payment.status, note=note[:300], source=source, at=now or utcnow())
    )


def _intent_status(intent: dict[str, Any]) -> PaymentStatus:
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


def decline_code(error: dict | None) -> str:
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


def _apply_intent(payment: Payment, intent: dict[str, Any], *, source: str, now: datetime | None = None) -> bool:
    """Bring the payment in line with the PaymentIntent `intent`. Locks, re-reads, then moves."""
    payment = _lock(payment)
    target = _intent_status(intent)
    if target == payment.state or (target == PaymentStatus.PENDING and payment.state == PaymentStatus.FAILED):
        return False  # (a card declined when saved leaves the intent untouched: stay "declined")
    if target == PaymentStatus.SUCCEEDED and int(intent.get("amount") or 0) != to_minor(payment.amount):
        # The intent was confirmed for another amount than the payable now costs: record it loudly.
        log.warning(
            "payment %s: intent %s succeeded for %s, expected %s",
            payment.id,
            intent.get("id"),
            intent.get("amount"),
            to_minor(payment.amount),
        )
        _note(payment, f"amount mismatch: charged {from_minor(intent.get('amount') or 0)}", source=source, now=now)
    note = ""
    if target == PaymentStatus.FAILED:
        payment.failure_code = decline_code(intent.get("last_payment_error"))
        note = ((intent.get("last_payment_error") or {}).get("message") or "declined")[:300]
    return _move(payment, target, source=source, note=note, now=now)


def _ensure_intent(payment: Payment) -> None:
    """Create the payment's single PaymentIntent (and a Stripe customer to save the card on)."""
    if payment.intent_id:
        return
    stripe = client()
    try:
        if not payment.stripe_customer_id:
            previous = db.session.scalar(
                select(Payment.stripe_customer_id)
                .where(Payment.customer_id == payment.customer_id, Payment.stripe_customer_id.is_not(None))
                .order_by(Payment.id.desc())
                .limit(1)
            )
            payment.stripe_customer_id = (
                previous
                or stripe.create_customer(user_id=payment.customer_id, key=f"customer-{payment.customer_id}")["id"]
            )
        intent = stripe.create_intent(
            amount=payment.amount,
            customer=payment.stripe_customer_id,
            metadata={"payment_id": payment.id, "payable": f"{payment.payable_type}:{payment.payable_id}"},
            # The amount is part of the key: Stripe refuses a repeated key with other parameters,
            # so after a timed-out create and a changed cart the same key could never pay.
            key=f"{payment.idempotency_key}-{payment.amount}",
        )
    except StripeError as error:
        log.warning("payment %s: could not create the PaymentIntent: %s", payment.id, error)
        raise (
            _unreachable()
            if error.unreachable
            else PaymentError(_l("The payment could not be started. Please try again."))
        ) from error
    payment.intent_id = intent["id"]
    payment.client_secret = intent.get("client_secret")
    db.session.flush()


def start_payment(
    *,
    payable_type: str,
    payable_id: int,
    customer: User,
    amount: int,
    method: PaymentMethod,
    return_url: str,
    payer: str | None = None,
    description: str = "",
    now: datetime | None = None,
) -> Payment:
    """One Payment per payable: calling again reuses the open one (and its PaymentIntent, with the
    amount updated if it changed). `amount` is computed by the caller on the server, in rupiah.

    card -> PaymentIntent created (PaymentError if the payment service is down: the Payment stays,
    retry later); cash -> PENDING until mark_cash_received; subsidy -> SUCCEEDED at once, `payer`
    recorded.
    """
    now = now or utcnow()
    method = PaymentMethod(method)
    amount = int(amount)
    if amount <= 0 and method != PaymentMethod.SUBSIDY:
        raise PaymentError(_l("There is nothing to pay."))
    if method == PaymentMethod.SUBSIDY and not payer:
        raise PaymentError(_l("A subsidy needs the name of who pays it."))

    payment = _current_for(payable_type, payable_id)
    if payment is not None:
        payment = _lock(payment)
        if payment.customer_id != customer.id:
            raise PaymentError(_l("This is not your payment."))
        if not payment.state.open:
            return payment  # already paid (or refunded): never pay twice
        if payment.kind == method:
            return _reuse(payment, amount=amount, return_url=return_url, payer=payer, description=description, now=now)
        _cancel(payment, note=f"method changed to {method.value}", source="checkout", now=now)
        if payment.state.paid:
            return payment  # it was paid by card after all (the webhook had not come yet)

    count = db.session.scalar(
        select(func.count())
        .select_from(Payment)
        .where(Payment.payable_type == payable_type, Payment.payable_id == payable_id)
    )
    payment = Payment(
        payable_type=payable_type,
        payable_id=payable_id,
        customer_id=customer.id,
        method=method.value,
        amount=amount,
        status=PaymentStatus.PENDING.value,
        idempotency_key=f"payment-{payable_type}-{payable_id}-{count + 1}",
        payer=payer,
        return_url=return_url,
        description=description[:200],
        created_at=now,
        updated_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(payment)
            db.session.add(
                PaymentEvent(
                    payment=payment, status=payment.status, note=method.value, source="checkout", amount=amount, at=now
                )
            )
    except IntegrityError:
        # Someone else started this payable's payment at the same moment: use theirs.
        existing = _current_for(payable_type, payable_id)
        if existing is None:
            raise
        existing = _lock(existing)
        if not existing.state.open or existing.kind != method:
            return existing
        return _reuse(existing, amount=amount, return_url=return_url, payer=payer, description=description, now=now)

    if method == PaymentMethod.SUBSIDY:
        _move(payment, PaymentStatus.SUCCEEDED, source="subsidy", note=payer or "", amount=amount, now=now)
    elif method == PaymentMethod.CARD:
        _ensure_intent(payment)
    return payment


def _reuse(
    payment: Payment, *, amount: int, return_url: str, payer: str | None, description: str, now: datetime
) -> Payment:
    payment.return_url = return_url
    if description:
        payment.description = description[:200]
    if payer:
        payment.payer = payer
    if payment.amount != amount:
        _note(payment, f"amount {payment.amount} -> {amount}", source="checkout", now=now)
        payment.amount = amount
        payment.updated_at = now
        if payment.kind == PaymentMethod.CARD and payment.intent_id:
            try:
                client().update_intent(payment.intent_id, amount=to_minor(amount))
            except StripeError as error:
                raise (
                    _unreachable()
                    if error.unreachable
                    else PaymentError(_l("The payment could not be updated. Please try again."))
                ) from error
    if payment.kind == PaymentMethod.CARD:
        _ensure_intent(payment)
    db.session.flush()
    return payment


def confirm_card(payment: Payment, token: str | None, *, now: datetime | None = None) -> dict[str, Any]:
    """The card page's submit: save the card Stripe.js tokenised on the customer, confirm the
    PaymentIntent server-side, apply the result. Returns the intent (or {} if nothing to do).

    A declined card moves the payment to FAILED (payment_failed, once) and returns normally: the
    caller commits and shows `payment.failure_message`; the customer can try another card.
    """
    payment = _lock(payment)
    if payment.kind != PaymentMethod.CARD:
        raise PaymentError(_l("This payment is not paid by card."))
    if not payment.state.open:
        return {}
    _ensure_intent(payment)
    stripe = client()
    if not token:  # after 3-D Secure in the browser: just read where the intent is
        try:
            intent = stripe.retrieve_intent(payment.intent_id)
        except StripeError as error:
            raise _unreachable() from error
        _apply_intent(payment, intent, source="checkout", now=now)
        return intent
    try:
        card = stripe.attach_card(payment.stripe_customer_id, token)
        stripe.update_intent(payment.intent_id, payment_method=card, amount=to_minor(payment.amount))
        intent = stripe.confirm_intent(payment.intent_id, key=f"confirm-{payment.intent_id}-{card}")
    except StripeError as error:
        if error.unreachable:
            raise _unreachable() from error
        if not error.declined:
            # e.g. the intent already succeeded in another tab: read its real state.
            try:
                intent = stripe.retrieve_intent(payment.intent_id)
            except StripeError:
                raise _unreachable() from error
            if _intent_status(intent) not in (PaymentStatus.SUCCEEDED, PaymentStatus.PROCESSING):
                raise PaymentError(decline_message(decline_code((error.body or {}).get("error")))) from error
            _apply_intent(payment, intent, source="checkout", now=now)
            return intent
        payment.failure_code = decline_code((error.body or {}).get("error"))
        moved = _move(payment, PaymentStatus.FAILED, source="checkout", note=str(error)[:300], now=now)
        if not moved:
            _note(payment, f"declined: {error}", source="checkout", now=now)
        return {"status": "requires_payment_method", "declined": True}
    _apply_intent(payment, intent, source="checkout", now=now)
    return intent


def sync_payment(payment: Payment, *, now: datetime | None = None, raise_errors: bool = False) -> Payment:
    """Pull the PaymentIntent's (and its refunds') state from Stripe. Return-url handlers call it.
    If the payment service cannot be reached the payment is left as it is (reconcile catches up)."""
    if payment.kind != PaymentMethod.CARD or not payment.intent_id:
        return payment
    payment_id = payment.id
    for attempt in (1, 2):
        try:
            if payment.state.open:
                intent = client().retrieve_intent(payment.intent_id)
                _apply_intent(payment, intent, source="sync", now=now)
            _sync_refunds(payment, now=now)
        except StripeError as error:
            log.warning("payment %s: sync failed: %s", payment.id, error)
            if raise_errors:
                raise _unreachable() from error
        except OperationalError:
            # SQLite, page view (GET): this read transaction's snapshot went stale because the
            # webhook committed the same payment meanwhile. Start over on fresh data, once.
            if attempt == 2 or db.session.get_bind().dialect.name != "sqlite":
                raise
            db.session.rollback()
            payment = db.session.get(Payment, payment_id)
            continue
        break
    return payment


def mark_cash_received(payment: Payment, *, by: User, now: datetime | None = None) -> None:
    """The courier confirms the cash was handed over (idempotent)."""
    payment = _lock(payment)
    if payment.kind != PaymentMethod.CASH:
        raise PaymentError(_l("This payment is not paid in cash."))
    if payment.state.paid:
        return
    if not _move(
        payment, PaymentStatus.SUCCEEDED, source="staff", note="cash received", by=by, amount=payment.amount, now=now
    ):
        raise PaymentError(_l("This payment was cancelled."))


def _cancel(payment: Payment, *, note: str, source: str, by: User | None = None, now: datetime | None = None) -> None:
    if payment.kind == PaymentMethod.CARD and payment.intent_id:
        try:
            client().cancel_intent(payment.intent_id)
        except StripeError as error:
            if error.unreachable:
                raise _unreachable() from error
            try:
                intent = client().retrieve_intent(payment.intent_id)
            except StripeError as read_error:
                log.warning("payment %s: cancel refused (%s), then read failed: %s", payment.id, error, read_error)
                raise (
                    _unreachable()
                    if read_error.unreachable
                    else PaymentError(_l("The payment could not be cancelled. Please try again."))
                ) from read_error
            if _intent_status(intent) == PaymentStatus.SUCCEEDED:
                # It was paid after all (webhook not here yet): apply, then the caller refunds.
                _apply_intent(payment, intent, source=source, now=now)
                return
    _move(payment, PaymentStatus.CANCELLED, source=source, note=note, by=by, now=now)


def refund(
    payment: Payment, *, amount: int | None = None, reason: str, by: User | None = None, now: datetime | None = None
) -> None:
    """Give money back: all that is left (amount=None) or `amount` rupiah.

    A payment nobody paid yet (pending, declined) is cancelled instead: its PaymentIntent can
    then never charge. Cash is recorded as handed back; a subsidy as not claimed.
    """
    now = now or utcnow()
    payment = _lock(payment)
    if payment.state.open:
        _cancel(payment, note=reason, source="refund", by=by, now=now)
        payment = _lock(payment)
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
        status = _submit_refund(payment, row)
        if status is None:
            # Not lost: the row waits with its key and `reconcile` sends it when Stripe answers.
            _note(
                payment,
                f"refund of {amount} queued (payment service not answering): {reason}",
                source="refund",
                now=now,
            )
            db.session.flush()
            return
    _note(payment, f"refund of {amount} asked: {reason}", source="refund", now=now)
    db.session.flush()
    _settle_refund(payment, row, status, now=now)


def _submit_refund(payment: Payment, row: Refund) -> str | None:
    """Ask Stripe for the refund; its status, or None if Stripe could not be reached."""
    try:
        answer = client().create_refund(
            intent_id=payment.intent_id,
            amount=row.amount,
            metadata={"payment_id": payment.id, "refund_key": row.idempotency_key},
            key=row.idempotency_key,
        )
    except StripeError as error:
        log.warning("payment %s: refund %s failed: %s", payment.id, row.idempotency_key, error)
        if error.unreachable:
            return None
        raise PaymentError(_l("The refund was refused by the payment service.")) from error
    row.refund_id = answer["id"]
    return answer.get("status")


def _resend_refund(row: Refund, *, now: datetime) -> bool:
    """A refund queued while Stripe was down: adopt it if it did reach Stripe (same key in its
    metadata: localstripe ignores Idempotency-Key), else send it now. True once settled."""
    payment = _lock(row.payment)
    db.session.refresh(row)
    if row.refund_id or row.status != RefundStatus.PENDING.value:
        return False
    try:
        sent = [
            r
            for r in client().list_refunds(payment.intent_id)
            if (r.get("metadata") or {}).get("refund_key") == row.idempotency_key
        ]
        if sent:
            row.refund_id = sent[0]["id"]
            status = sent[0].get("status")
        else:
            status = _submit_refund(payment, row)
    except StripeError as error:
        log.warning("reconcile: refund %s: %s", row.id, error)
        return False
    except PaymentError:
        row.status = RefundStatus.FAILED.value
        row.settled_at = now
        _note(payment, f"refund of {row.amount} refused by Stripe", source="reconcile", now=now)
        return False
    if status is None:
        return False
    _settle_refund(payment, row, status, now=now)
    return row.status != RefundStatus.PENDING.value


def _settle_refund(payment: Payment, row: Refund, status: str | None, *, now: datetime | None = None) -> None:
    """Apply a refund's outcome once (the refund row is locked with its payment)."""
    if row.status != RefundStatus.PENDING.value:
        return
    now = now or utcnow()
    if status == "succeeded":
        row.status = RefundStatus.SUCCEEDED.value
        row.settled_at = now
        payment.refunded_amount += row.amount
        new = PaymentStatus.REFUNDED if payment.refunded_amount >= payment.amount else PaymentStatus.PARTIALLY_REFUNDED
        _move(payment, new, source="refund", note=row.reason, amount=row.amount, now=now)
        signals.payment_refunded.send(payment, amount=row.amount)
    elif status in ("failed", "canceled"):
        row.status = RefundStatus.FAILED.value
        row.settled_at = now
        _note(payment, f"refund of {row.amount} failed", source="refund", now=now)
    db.session.flush()


def _sync_refunds(payment: Payment, *, now: datetime | None = None) -> None:
    pending = [r for r in payment.refunds if r.status == RefundStatus.PENDING.value and r.refund_id]
    if not pending:
        return
    payment = _lock(payment)
    for row in pending:
        db.session.refresh(row)
        if row.status != RefundStatus.PENDING.value:
            continue
        answer = client().retrieve_refund(row.refund_id)
        _settle_refund(payment, row, answer.get("status"), now=now)


# Webhooks ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WebhookResult:
    outcome: str  # applied | duplicate | unknown | ignored
    status_code: int


def handle_event(event: dict[str, Any], *, now: datetime | None = None) -> WebhookResult:
    """Store the (verified) event once by id, then apply it under the payment's row lock.

    An event for a payment we do not know (yet: `succeeded` may arrive before the checkout that
    created the payment has committed) is stored unprocessed and answered 409, so Stripe delivers
    it again later; `reconcile` also applies stored events once their payment exists.
    """
    now = now or utcnow()
    obj = (event.get("data") or {}).get("object") or {}
    stored = db.session.scalar(select(WebhookEvent).where(WebhookEvent.event_id == event["id"]))
    if stored is None:
        try:
            with db.session.begin_nested():
                stored = WebhookEvent(
                    event_id=event["id"], type=event["type"], object_id=obj.get("id"), payload=event, received_at=now
                )
                db.session.add(stored)
        except IntegrityError:
            return WebhookResult("duplicate", 200)  # the same delivery is being handled right now
    else:
        stored = db.session.scalars(
            select(WebhookEvent)
            .where(WebhookEvent.id == stored.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
    if stored.processed_at is not None:
        return WebhookResult("duplicate", 200)
    stored.attempts += 1
    outcome = _apply_event(stored, now=now)
    if outcome == "unknown":
        stored.note = "no payment for this object yet"
        log.warning(
            "stripe event %s (%s) for unknown object %s: stored, asking for a retry",
            stored.event_id,
            stored.type,
            stored.object_id,
        )
        db.session.flush()
        return WebhookResult("unknown", 409)
    stored.processed_at = now
    db.session.flush()
    return WebhookResult(outcome, 200)


def _apply_event(stored: WebhookEvent, *, now: datetime) -> str:
    event_type = stored.type
    obj = (stored.payload.get("data") or {}).get("object") or {}
    if event_type.startswith("payment_intent."):
        payment = by_intent(obj.get("id", ""))
        if payment is None:
            return "unknown"
        # Events can arrive late and out of order: the intent as it is now decides.
        try:
            intent = client().retrieve_intent(payment.intent_id)
        except StripeError:
            intent = obj
        _apply_intent(payment, intent, source="webhook", now=now)
        return "applied"
    if event_type.startswith("charge.refund") or event_type.startswith("refund.") or event_type == "charge.refunded":
        intent_id = obj.get("payment_intent")
        payment = by_intent(intent_id) if intent_id else None
        if payment is None:
            return "unknown" if intent_id else "ignored"
        _sync_refunds(payment, now=now)
        if event_type == "charge.refunded" and "amount_refunded" in obj:
            _adopt_outside_refund(payment, from_minor(obj["amount_refunded"]), now=now)
        return "applied"
    return "ignored"


def _adopt_outside_refund(payment: Payment, stripe_refunded: int, *, now: datetime) -> None:
    """Stripe says more was refunded than we asked for (e.g. from the Stripe dashboard): record
    the difference as a refund, once (a repeated or older event finds nothing missing)."""
    payment = _lock(payment)
    waiting = sum(r.amount for r in payment.refunds if r.status == RefundStatus.PENDING.value)
    missing = min(stripe_refunded, payment.amount) - payment.refunded_amount - waiting
    if missing <= 0 or not payment.state.paid:
        return
    row = Refund(
        payment=payment,
        amount=missing,
        reason="refunded at Stripe",
        idempotency_key=f"refund-{payment.id}-{len(payment.refunds) + 1}",
        created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    _settle_refund(payment, row, "succeeded", now=now)


# Reconcile --------------------------------------------------------------------------------


RECONCILE_DAYS = 7  # config PAYMENTS_RECONCILE_DAYS
WEBHOOK_MAX_ATTEMPTS = 20  # config PAYMENTS_WEBHOOK_MAX_ATTEMPTS


def reconcile(*, now: datetime | None = None, older_than: timedelta = timedelta(minutes=2)) -> dict[str, int]:
    """Poll what a missed webhook would have told us: card payments still pending/processing,
    refunds still pending, and stored events whose payment now exists. Flushes; caller commits."""
    now = now or utcnow()
    config = current_app.config
    counts = {"payments": 0, "refunds": 0, "events": 0, "expired": 0}
    cutoff = now - older_than
    # Only recent payments are polled; a card checkout left pending longer than that was
    # abandoned: cancel its PaymentIntent (it can then never charge) instead of polling forever.
    horizon = now - timedelta(days=config.get("PAYMENTS_RECONCILE_DAYS", RECONCILE_DAYS))
    abandoned = db.session.scalars(
        select(Payment).where(
            Payment.method == PaymentMethod.CARD.value,
            Payment.status == PaymentStatus.PENDING.value,
            Payment.created_at < horizon,
        )
    ).all()
    for payment in abandoned:
        try:
            _cancel(payment, note="abandoned checkout", source="reconcile", now=now)
        except PaymentError as error:
            log.warning("reconcile: could not cancel abandoned payment %s: %s", payment.id, error)
            continue
        counts["expired"] += payment.state == PaymentStatus.CANCELLED
    stuck = db.session.scalars(
        select(Payment).where(
            Payment.method == PaymentMethod.CARD.value,
            Payment.intent_id.is_not(None),
            Payment.status.in_([PaymentStatus.PENDING.value, PaymentStatus.PROCESSING.value]),
            Payment.updated_at <= cutoff,
            Payment.created_at >= horizon,
        )
    ).all()
    for payment in stuck:
        try:
            intent = client().retrieve_intent(payment.intent_id)
        except StripeError as error:
            log.warning("reconcile: payment %s: %s", payment.id, error)
            continue
        if _apply_intent(payment, intent, source="reconcile", now=now):
            counts["payments"] += 1
    refunds = db.session.scalars(
        select(Refund).where(Refund.status == RefundStatus.PENDING.value, Refund.refund_id.is_not(None))
    ).all()
    for row in refunds:
        try:
            answer = client().retrieve_refund(row.refund_id)
        except StripeError as error:
            log.warning("reconcile: refund %s: %s", row.id, error)
            continue
        payment = _lock(row.payment)
        db.session.refresh(row)
        before = row.status
        _settle_refund(payment, row, answer.get("status"), now=now)
        counts["refunds"] += row.status != before
    unsent = db.session.scalars(
        select(Refund).where(Refund.status == RefundStatus.PENDING.value, Refund.refund_id.is_(None))
    ).all()
    for row in unsent:
        counts["refunds"] += _resend_refund(row, now=now)
    # Stored events whose payment never appeared are retried a limited number of times.
    max_attempts = config.get("PAYMENTS_WEBHOOK_MAX_ATTEMPTS", WEBHOOK_MAX_ATTEMPTS)
    waiting = db.session.scalars(
        select(WebhookEvent).where(WebhookEvent.processed_at.is_(None), WebhookEvent.attempts < max_attempts)
    ).all()
    for stored in waiting:
        stored.attempts += 1
        if _apply_event(stored, now=now) != "unknown":
            stored.processed_at = now
            counts["events"] += 1
        elif stored.attempts >= max_attempts:
            stored.note = f"given up after {stored.attempts} attempts: no payment for this object"
            log.warning("stripe event %s: %s", stored.event_id, stored.note)
    db.session.flush()
    return counts


def reconcile_job() -> None:
    """The RQ-schedulable form of `flask payments reconcile` (the runner commits)."""
    counts = reconcile()
    log.info("payments reconcile: %s", counts)


# Dashboard and activity -------------------------------------------------------------------


def subsidy_totals() -> list[tuple[str, int, int]]:
    """(payer, number of payments, rupiah) for subsidised payments still claimed, biggest first."""
    rows = db.session.execute(
        select(Payment.payer, func.count(), func.sum(Payment.amount - Payment.refunded_amount))
        .where(
            Payment.method == PaymentMethod.SUBSIDY.value,
            Payment.status.in_([PaymentStatus.SUCCEEDED.value, PaymentStatus.PARTIALLY_REFUNDED.value]),
        )
        .group_by(Payment.payer)
        .order_by(func.sum(Payment.amount - Payment.refunded_amount).desc())
    ).all()
    return [(payer or "", int(count), int(total or 0)) for payer, count, total in rows]


@register_source
def _activity(user, limit: int, before: datetime | None) -> list[ActivityItem]:
    query = select(Payment).where(Payment.customer_id == user.id).order_by(Payment.created_at.desc()).limit(limit)
    if before is not None:
        query = query.where(Payment.created_at < before)
    return [
        ActivityItem(
            when=payment.created_at,
            kind=_("Payment"),
            title=_("%(what)s · %(method)s", what=payable_label(payment), method=payment.kind.label),
            status=payment.state.label,
            url=receipt_url(payment),
            amount=payment.amount,
            final=payment.state.final or payment.state.paid,
        )
        for payment in db.session.scalars(query)
    ]
