"""Food listening to the others: payments and couriers move its orders; "my activity" lists them."""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import activity
from portal.couriers.contract import Purpose
from portal.couriers.signals import delivery_changed
from portal.extensions import db
from portal.food.models import FoodOrder
from portal.food.services.orders import PAYABLE, mark_paid, on_delivery_moved
from portal.payments.signals import payment_succeeded


@payment_succeeded.connect
def _on_payment_succeeded(payment, **_kwargs) -> None:
    if payment.payable_type != PAYABLE:
        return
    order = db.session.get(FoodOrder, payment.payable_id)
    if order is not None:
        mark_paid(order)


@delivery_changed.connect
def _on_delivery_changed(delivery, old=None, new=None, **_kwargs) -> None:
    if delivery.purpose != Purpose.FOOD:
        return
    order = db.session.get(FoodOrder, delivery.origin_id)
    if order is not None:
        on_delivery_moved(order, str(new), courier=delivery.courier)


activity.covers_payments(PAYABLE)


@activity.register_source
def _activity(user, limit: int, before: datetime | None) -> list[activity.ActivityItem]:
    stmt = (
        select(FoodOrder)
        .where(FoodOrder.customer_id == user.id)
        .options(selectinload(FoodOrder.warung))
        .order_by(FoodOrder.created_at.desc(), FoodOrder.id.desc())
        .limit(limit)
    )
    if before is not None:
        stmt = stmt.where(FoodOrder.created_at < before)
    return [
        activity.ActivityItem(
            when=order.created_at,
            kind=str(_l("Food order")),
            title=str(_l("Order %(n)s from %(warung)s", n=order.id, warung=order.warung.name)),
            status=order.state.label,
            url=url_for("food.order", order_id=order.id),
            amount=order.total,
            final=order.state.final,
        )
        for order in db.session.scalars(stmt)
    ]
