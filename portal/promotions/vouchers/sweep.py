"""Unpaid card orders that hold a voucher's budget: cancelled after VOUCHER_HOLD_MINUTES through
food's own verb (a card paid after that is refunded by food, as for any cancelled order), and
the budget comes back with the cancellation. Kept out of services/: it calls food's verbs, and food's
checkout imports the voucher services."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from portal import reasons
from portal.database import utcnow
from portal.extensions import db
from portal.food import services as food
from portal.food.models import FoodOrder, OrderStatus
from portal.promotions.vouchers.models import RedemptionStatus, VoucherRedemption


def cancel_unpaid(*, now: datetime | None = None) -> int:
    """Cancel voucher orders still waiting for their card payment after the hold; how many."""
    now = now or utcnow()
    cutoff = now - timedelta(minutes=current_app.config["VOUCHER_HOLD_MINUTES"])
    orders = db.session.scalars(
        select(FoodOrder)
        .join(VoucherRedemption, VoucherRedemption.order_id == FoodOrder.id)
        .where(
            VoucherRedemption.status == RedemptionStatus.RESERVED.value,
            VoucherRedemption.created_at < cutoff,
            FoodOrder.status == OrderStatus.AWAITING_PAYMENT.value,
        )
        .order_by(FoodOrder.id)
    ).all()
    cancelled = 0
    for order in orders:
        try:
            with db.session.begin_nested():
                food.cancel_order(order, by=None, reason=reasons.VOUCHER_HOLD_EXPIRED, now=now)
        except food.FoodError:
            continue  # e.g. the payment service did not answer: the next sweep tries again
        cancelled += 1
    return cancelled
