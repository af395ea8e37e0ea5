"""Paying by card: the card page's confirm, and reading a PaymentIntent's state back from Stripe
(return URLs and page views call `sync_payment`; webhooks and reconcile do the same later)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import OperationalError

from portal.extensions import db
from portal.jobs import enqueue
from portal.payments import client as stripe_api
from portal.payments.client import StripeError, to_minor
from portal.payments.declines import card_error_message, decline_code
from portal.payments.models import Payment, PaymentMethod, PaymentStatus
from portal.payments.services.checkout import ensure_intent
from portal.payments.services.moves import (
    PaymentError,
    add_note,
    apply_intent,
    intent_status,
    lock,
    move_payment,
    unreachable,
)
from portal.payments.services.refunds import sync_refunds

log = logging.getLogger(__name__)


def confirm_card(payment: Payment, token: str | None, *, now: datetime | None = None) -> dict[str, Any]:
    """The card page's submit: save the card Stripe.js tokenised on the customer, confirm the
    PaymentIntent server-side, apply the result. Returns the intent (or {} if nothing to do).

    A declined card moves the payment to FAILED (payment_failed, once) and returns normally: the
    caller commits and shows `payment.failure_message`; the customer can try another card.
    """
    payment = lock(payment)
    if payment.kind != PaymentMethod.CARD:
        raise PaymentError(_l("This payment is not paid by card."))
    if not payment.state.open:
        return {}
    ensure_intent(payment)
    stripe = stripe_api.client()
    if not token:  # after 3-D Secure in the browser: just read where the intent is
        try:
            intent = stripe.retrieve_intent(payment.intent_id)
        except StripeError as error:
            raise unreachable() from error
        apply_intent(payment, intent, source="checkout", now=now)
        return intent
    confirming = False
    try:
        card = stripe.attach_card(payment.stripe_customer_id, token)
        stripe.update_intent(payment.intent_id, payment_method=card, amount=to_minor(payment.amount))
        confirming = True
        intent = stripe.confirm_intent(payment.intent_id, key=f"confirm-{payment.intent_id}-{card}")
    except StripeError as error:
        if error.unreachable and confirming and not error.never_sent:
            return _after_lost_answer(payment, stripe, error, now=now)
        if error.unreachable:  # refused, or before the confirm: nothing can have been charged
            raise unreachable() from error
        if not error.declined:
            # e.g. the intent already succeeded in another tab: read its real state.
            try:
                intent = stripe.retrieve_intent(payment.intent_id)
            except StripeError:
                raise unreachable() from error
            if intent_status(intent) not in (PaymentStatus.SUCCEEDED, PaymentStatus.PROCESSING):
                raise PaymentError(card_error_message((error.body or {}).get("error"))) from error
            apply_intent(payment, intent, source="checkout", now=now)
            return intent
        payment.failure_code = decline_code((error.body or {}).get("error"))
        moved = move_payment(payment, PaymentStatus.FAILED, source="checkout", note=str(error)[:300], now=now)
        if not moved:
            add_note(payment, f"declined: {error}", source="checkout", now=now)
        return {"status": "requires_payment_method", "declined": True}
    apply_intent(payment, intent, source="checkout", now=now)
    return intent


CHECKING = "checking"  # confirm_card's answer when the outcome is not known yet


def _after_lost_answer(payment: Payment, stripe, error: StripeError, *, now: datetime | None) -> dict[str, Any]:
    """The confirm went out and its answer was lost: the card may be charged. Never say it was
    not; look the PaymentIntent up at once and settle on what it says. If that fails too, the
    payment stays open, a settle job looks again after the commit (a worker, or inline), and
    reconcile and the receipt page after that."""
    log.warning("payment %s: the confirm's answer was lost (%s); looking the intent up", payment.id, error)
    add_note(payment, "confirm sent, answer lost: looking the PaymentIntent up", source="checkout", now=now)
    try:
        intent = stripe.retrieve_intent(payment.intent_id)
    except StripeError as lookup_error:
        log.warning("payment %s: lookup after a lost answer failed too: %s", payment.id, lookup_error)
        enqueue(settle_job, payment.id)
        return {"status": CHECKING}
    apply_intent(payment, intent, source="checkout", now=now)
    return intent


def settle_job(payment_id: int) -> None:
    """After a lost answer: read the PaymentIntent again and settle the payment (idempotent; if the
    API still does not answer, reconcile does it later)."""
    payment = db.session.get(Payment, payment_id)
    if payment is not None:
        sync_payment(payment)


def sync_payment(payment: Payment, *, now: datetime | None = None, raise_errors: bool = False) -> Payment:
    """Pull the PaymentIntent's (and its refunds') state from Stripe. Return-url handlers call it.
    If the payment service cannot be reached the payment is left as it is (reconcile catches up)."""
    if payment.kind != PaymentMethod.CARD or not payment.intent_id:
        return payment
    payment_id = payment.id
    for attempt in (1, 2):
        try:
            if payment.state.open:
                intent = stripe_api.client().retrieve_intent(payment.intent_id)
                apply_intent(payment, intent, source="sync", now=now)
            sync_refunds(payment, now=now)
        except StripeError as error:
            log.warning("payment %s: sync failed: %s", payment.id, error)
            if raise_errors:
                raise unreachable() from error
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
