"""What a missed webhook would have told us, polled: card payments still pending or processing,
refunds still pending or never sent, and stored events whose payment now exists. Abandoned card
checkouts are cancelled at Stripe instead of being polled forever."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from portal.database import utcnow
from portal.extensions import db
from portal.payments import client as stripe_api
from portal.payments.client import StripeError
from portal.payments.models import Payment, PaymentMethod, PaymentStatus, Refund, RefundStatus, WebhookEvent
from portal.payments.services.checkout import cancel
from portal.payments.services.moves import PaymentError, apply_intent, lock
from portal.payments.services.refunds import resend_refund, settle_refund
from portal.payments.services.webhooks import apply_event

log = logging.getLogger(__name__)

RECONCILE_DAYS = 7  # config PAYMENTS_RECONCILE_DAYS
WEBHOOK_MAX_ATTEMPTS = 20  # config PAYMENTS_WEBHOOK_MAX_ATTEMPTS


def reconcile(*, now: datetime | None = None, older_than: timedelta = timedelta(minutes=2)) -> dict[str, int]:
    """Poll what a missed webhook would have told us. Flushes; the caller commits."""
    now = now or utcnow()
    config = current_app.config
    counts = {"payments": 0, "refunds": 0, "events": 0, "expired": 0}
    # Only recent payments are polled; a card checkout left pending longer than that was
    # abandoned: cancel its PaymentIntent (it can then never charge) instead of polling forever.
    horizon = now - timedelta(days=config.get("PAYMENTS_RECONCILE_DAYS", RECONCILE_DAYS))
    counts["expired"] = _cancel_abandoned(horizon, now=now)
    counts["payments"] = _poll_payments(horizon, cutoff=now - older_than, now=now)
    counts["refunds"] = _poll_refunds(now=now)
    counts["events"] = _retry_events(config.get("PAYMENTS_WEBHOOK_MAX_ATTEMPTS", WEBHOOK_MAX_ATTEMPTS), now=now)
    db.session.flush()
    return counts


def reconcile_job() -> None:
    """The RQ-schedulable form of `flask payments reconcile` (the runner commits)."""
    counts = reconcile()
    log.info("payments reconcile: %s", counts)


def _cancel_abandoned(horizon: datetime, *, now: datetime) -> int:
    expired = 0
    abandoned = db.session.scalars(
        select(Payment).where(
            Payment.method == PaymentMethod.CARD.value,
            Payment.status == PaymentStatus.PENDING.value,
            Payment.created_at < horizon,
        )
    ).all()
    for payment in abandoned:
        try:
            cancel(payment, note="abandoned checkout", source="reconcile", now=now)
        except PaymentError as error:
            log.warning("reconcile: could not cancel abandoned payment %s: %s", payment.id, error)
            continue
        expired += payment.state == PaymentStatus.CANCELLED
    return expired


def _poll_payments(horizon: datetime, *, cutoff: datetime, now: datetime) -> int:
    moved = 0
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
            intent = stripe_api.client().retrieve_intent(payment.intent_id)
        except StripeError as error:
            log.warning("reconcile: payment %s: %s", payment.id, error)
            continue
        moved += apply_intent(payment, intent, source="reconcile", now=now)
    return moved


def _poll_refunds(*, now: datetime) -> int:
    settled = 0
    refunds = db.session.scalars(
        select(Refund).where(Refund.status == RefundStatus.PENDING.value, Refund.refund_id.is_not(None))
    ).all()
    for row in refunds:
        try:
            answer = stripe_api.client().retrieve_refund(row.refund_id)
        except StripeError as error:
            log.warning("reconcile: refund %s: %s", row.id, error)
            continue
        payment = lock(row.payment)
        db.session.refresh(row)
        before = row.status
        settle_refund(payment, row, answer.get("status"), now=now)
        settled += row.status != before
    unsent = db.session.scalars(
        select(Refund).where(Refund.status == RefundStatus.PENDING.value, Refund.refund_id.is_(None))
    ).all()
    for row in unsent:
        settled += resend_refund(row, now=now)
    return settled


def _retry_events(max_attempts: int, *, now: datetime) -> int:
    """Stored events whose payment never appeared are retried a limited number of times."""
    applied = 0
    waiting = db.session.scalars(
        select(WebhookEvent).where(WebhookEvent.processed_at.is_(None), WebhookEvent.attempts < max_attempts)
    ).all()
    for stored in waiting:
        stored.attempts += 1
        if apply_event(stored, now=now) != "unknown":
            stored.processed_at = now
            applied += 1
        elif stored.attempts >= max_attempts:
            stored.note = f"given up after {stored.attempts} attempts: no payment for this object"
            log.warning("stripe event %s: %s", stored.event_id, stored.note)
    return applied
