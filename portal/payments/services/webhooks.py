"""Stripe's webhooks, once verified (routes.py checks the signature): stored once by event id,
applied under the payment's row lock. The intent as it is now decides, not the event's copy."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.database import utcnow
from portal.extensions import db
from portal.payments import client as stripe_api
from portal.payments.client import StripeError, from_minor
from portal.payments.models import WebhookEvent
from portal.payments.services.moves import apply_intent
from portal.payments.services.reading import by_intent
from portal.payments.services.refunds import adopt_outside_refund, sync_refunds

log = logging.getLogger(__name__)


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
    outcome = apply_event(stored, now=now)
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


def apply_event(stored: WebhookEvent, *, now: datetime) -> str:
    """applied | unknown (no payment for its object yet) | ignored (not an event we act on)."""
    event_type = stored.type
    obj = (stored.payload.get("data") or {}).get("object") or {}
    if event_type.startswith("payment_intent."):
        payment = by_intent(obj.get("id", ""))
        if payment is None:
            return "unknown"
        # Events can arrive late and out of order: the intent as it is now decides.
        try:
            intent = stripe_api.client().retrieve_intent(payment.intent_id)
        except StripeError:
            intent = obj
        apply_intent(payment, intent, source="webhook", now=now)
        return "applied"
    if event_type.startswith("charge.refund") or event_type.startswith("refund.") or event_type == "charge.refunded":
        intent_id = obj.get("payment_intent")
        payment = by_intent(intent_id) if intent_id else None
        if payment is None:
            return "unknown" if intent_id else "ignored"
        sync_refunds(payment, now=now)
        if event_type == "charge.refunded" and "amount_refunded" in obj:
            adopt_outside_refund(payment, from_minor(obj["amount_refunded"]), now=now)
        return "applied"
    return "ignored"
