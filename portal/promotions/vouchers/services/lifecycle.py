"""A redemption follows its order: the order reaching the warung makes the discount used and
records the regency's subsidy payment; a cancelled or rejected order, or a customer's payment
refunded in full, gives the budget back and calls the subsidy off. Connected to food's moves and
payments' refunds by signal, so food's verbs need not know vouchers exist."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, has_request_context, url_for
from sqlalchemy import select

from portal.database import utcnow
from portal.extensions import db
from portal.food.models import FoodOrder, OrderStatus
from portal.payments.models import Payment, PaymentMethod, PaymentStatus
from portal.payments.services import payment_for, refund, start_payment
from portal.payments.signals import payment_refunded
from portal.promotions.vouchers.models import RedemptionStatus, VoucherRedemption
from portal.promotions.vouchers.services.budget import give_back
from portal.workflow import moved

FOOD_PAYABLE = "food_order"  # the customer's payment (portal.food.services.PAYABLE)
SUBSIDY_PAYABLE = "food_voucher"  # the regency's payment of an order's discount
SUBSIDY_PAYER = "Pemkab Banyuwangi (Pesta Kuliner)"


def redemption_for(order_id: int) -> VoucherRedemption | None:
    return db.session.scalar(select(VoucherRedemption).where(VoucherRedemption.order_id == order_id))


def subsidy_for(order_id: int) -> Payment | None:
    return payment_for(SUBSIDY_PAYABLE, order_id)


def _order_url(order_id: int) -> str:
    if has_request_context():
        return url_for("food.order", order_id=order_id)
    with current_app.test_request_context():
        return url_for("food.order", order_id=order_id)


def use(redemption: VoucherRedemption, order: FoodOrder, *, now: datetime | None = None) -> Payment | None:
    """The order reached the warung: the discount is spent, and the regency pays it."""
    if redemption.state != RedemptionStatus.RESERVED:
        return None
    now = now or utcnow()
    redemption.status = RedemptionStatus.USED.value
    redemption.used_at = now
    voucher = redemption.voucher
    return start_payment(
        payable_type=SUBSIDY_PAYABLE,
        payable_id=order.id,
        customer=order.customer,
        amount=redemption.amount,
        method=PaymentMethod.SUBSIDY,
        payer=SUBSIDY_PAYER,
        return_url=_order_url(order.id),
        description=f"{voucher.code or voucher.name} · #{order.id}",
        now=now,
    )


def release(redemption: VoucherRedemption, *, reason: str, now: datetime | None = None) -> None:
    """The order no longer stands: the budget comes back and the subsidy is not claimed."""
    if not give_back(redemption, now=now):
        return
    subsidy = subsidy_for(redemption.order_id)
    if subsidy is not None and subsidy.state.paid and subsidy.refundable > 0:
        refund(subsidy, reason=reason, now=now)


@moved.connect_via(FoodOrder)
def _on_order_moved(sender, subject=None, new=None, now=None, **_kwargs) -> None:
    if new not in (OrderStatus.PLACED, OrderStatus.CANCELLED, OrderStatus.REJECTED):
        return
    redemption = redemption_for(subject.id)
    if redemption is None:
        return
    if new == OrderStatus.PLACED:
        use(redemption, subject, now=now)
    else:
        release(redemption, reason=subject.reason or new.value, now=now)


@payment_refunded.connect
def _on_payment_refunded(payment, amount=None, **_kwargs) -> None:
    """Refunded in full: the discount returns to the budget. In part (some dishes missing): the
    order stood, so the discount stays used; the refund is noted on the redemption."""
    if payment.payable_type != FOOD_PAYABLE:
        return
    redemption = redemption_for(payment.payable_id)
    if redemption is None:
        return
    if payment.state == PaymentStatus.REFUNDED:
        release(redemption, reason="customer refunded in full")
    else:
        redemption.refunded_after_use = payment.refunded_amount
        db.session.flush()
