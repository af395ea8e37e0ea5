"""Starting a payment (one per payable, whatever the method), and calling it off.

card -> one PaymentIntent for the payment's whole life; cash -> pending until the courier says
it was handed over (cash.py); subsidy -> paid at once by the named payer.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db
from portal.payments import client as stripe_api
from portal.payments.client import StripeError, to_minor
from portal.payments.models import Payment, PaymentEvent, PaymentMethod, PaymentStatus
from portal.payments.services.moves import (
    PaymentError,
    add_note,
    apply_intent,
    intent_status,
    lock,
    move_payment,
    unreachable,
)
from portal.payments.services.reading import current_for, receipt_url

log = logging.getLogger(__name__)


def start_payment(
    *,
    payable_type: str,
    payable_id: int,
    customer: User | None,
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
    recorded. `customer=None`: a payer with no account, whom the payable's own link authorises
    (its card page is `portal.payments.pages`); its card is saved on a Stripe customer of its own.
    """
    now = now or utcnow()
    method = PaymentMethod(method)
    amount = int(amount)
    if amount <= 0 and method != PaymentMethod.SUBSIDY:
        raise PaymentError(_l("There is nothing to pay."))
    if method == PaymentMethod.SUBSIDY and not payer:
        raise PaymentError(_l("A subsidy needs the name of who pays it."))

    payment = current_for(payable_type, payable_id)
    if payment is not None:
        payment = lock(payment)
        if payment.customer_id != (customer.id if customer is not None else None):
            raise PaymentError(_l("This is not your payment."))
        if not payment.state.open:
            return payment  # already paid (or refunded): never pay twice
        if payment.kind == method:
            return _reuse(payment, amount=amount, return_url=return_url, payer=payer, description=description, now=now)
        cancel(payment, note=f"method changed to {method.value}", source="checkout", now=now)
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
        customer_id=customer.id if customer is not None else None,
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
        existing = current_for(payable_type, payable_id)
        if existing is None:
            raise
        existing = lock(existing)
        if not existing.state.open or existing.kind != method:
            return existing
        return _reuse(existing, amount=amount, return_url=return_url, payer=payer, description=description, now=now)

    if method == PaymentMethod.SUBSIDY:
        move_payment(payment, PaymentStatus.SUCCEEDED, source="subsidy", note=payer or "", amount=amount, now=now)
    elif method == PaymentMethod.CARD:
        ensure_intent(payment)
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
        add_note(payment, f"amount {payment.amount} -> {amount}", source="checkout", now=now)
        payment.amount = amount
        payment.updated_at = now
        if payment.kind == PaymentMethod.CARD and payment.intent_id:
            try:
                stripe_api.client().update_intent(payment.intent_id, amount=to_minor(amount))
            except StripeError as error:
                raise (
                    unreachable()
                    if error.unreachable
                    else PaymentError(_l("The payment could not be updated. Please try again."))
                ) from error
    if payment.kind == PaymentMethod.CARD:
        ensure_intent(payment)
    db.session.flush()
    return payment


def ensure_intent(payment: Payment) -> None:
    """Create the payment's single PaymentIntent (and a Stripe customer to save the card on)."""
    if payment.intent_id:
        return
    stripe = stripe_api.client()
    try:
        if not payment.stripe_customer_id and payment.customer_id is None:
            # No account: one Stripe customer for this payment only, never shared with anyone.
            payment.stripe_customer_id = stripe.create_customer(user_id=0, key=f"customer-payment-{payment.id}")["id"]
        elif not payment.stripe_customer_id:
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
            unreachable()
            if error.unreachable
            else PaymentError(_l("The payment could not be started. Please try again."))
        ) from error
    payment.intent_id = intent["id"]
    payment.client_secret = intent.get("client_secret")
    db.session.flush()


def cancel(payment: Payment, *, note: str, source: str, by: User | None = None, now: datetime | None = None) -> None:
    """Call off an unpaid payment; a card's PaymentIntent is cancelled first, so it can never
    charge. If Stripe says it was paid after all, the payment is moved to paid instead."""
    if payment.kind == PaymentMethod.CARD and payment.intent_id:
        try:
            stripe_api.client().cancel_intent(payment.intent_id)
        except StripeError as error:
            if error.unreachable:
                raise unreachable() from error
            try:
                intent = stripe_api.client().retrieve_intent(payment.intent_id)
            except StripeError as read_error:
                log.warning("payment %s: cancel refused (%s), then read failed: %s", payment.id, error, read_error)
                raise (
                    unreachable()
                    if read_error.unreachable
                    else PaymentError(_l("The payment could not be cancelled. Please try again."))
                ) from read_error
            if intent_status(intent) == PaymentStatus.SUCCEEDED:
                # It was paid after all (webhook not here yet): apply, then the caller refunds.
                apply_intent(payment, intent, source=source, now=now)
                return
    move_payment(payment, PaymentStatus.CANCELLED, source=source, note=note, by=by, now=now)


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
