"""Food listening to the others: payments and couriers move its orders; "my activity" lists them;
the courier's day counts the ratings customers gave their couriers."""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from portal import activity
from portal.couriers import services as couriers
from portal.couriers.contract import DeliveryStatus, Purpose
from portal.couriers.models import Delivery
from portal.couriers.signals import delivery_changed
from portal.extensions import db
from portal.food.models import FoodOrder, OrderStatus
from portal.food.services.orders import PAYABLE, mark_paid, on_delivery_moved
from portal.payments.services import register_receipt_lines
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
# The regency's payment of a voucher's discount: the order's receipt and page show it already.
activity.covers_payments("food_voucher")


@register_receipt_lines(PAYABLE)
def _receipt_lines(payment) -> list[tuple[str, int]]:
    """A food order's receipt, line by line: each dish (named in the reader's language), what the
    warung and the courier get, and what a regency voucher took off (which the regency pays:
    the customer's amount is the rest)."""
    order = db.session.get(FoodOrder, payment.payable_id, options=[selectinload(FoodOrder.items)])
    if order is None:
        return []
    locale = str(get_locale() or "id")
    lines = [(f"{item.quantity} × {item.display_name(locale)}", item.line_total) for item in order.items]
    lines += [(str(_l("Food")), order.subtotal), (str(_l("Delivery")), order.delivery_fee)]
    if order.discount:
        lines.append((str(_l("Regency voucher (paid by Pemkab Banyuwangi)")), -order.discount))
    return lines


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
            tone=order.state.tone,
        )
        for order in db.session.scalars(stmt)
    ]


@couriers.register_rating_source
def _courier_ratings(courier_id: int, since: datetime) -> tuple[int, int]:
    """(ratings, stars added up) the customers gave this courier on food jobs delivered since then."""
    count, stars = db.session.execute(
        select(func.count(FoodOrder.rating_courier), func.coalesce(func.sum(FoodOrder.rating_courier), 0))
        .join(Delivery, and_(Delivery.purpose == Purpose.FOOD, Delivery.origin_id == FoodOrder.id))
        .where(
            Delivery.courier_id == courier_id,
            Delivery.status == DeliveryStatus.DELIVERED,
            Delivery.updated_at >= since,
            FoodOrder.rating_courier.is_not(None),
        )
    ).one()
    return int(count), int(stars)


# The home page's banner: an order from the moment the warung has it until it is handed over.
activity.register_on_its_way(
    activity.OnItsWay(
        name="food",
        kind=_l("Food order"),
        statuses=OrderStatus,
        query=lambda user_id, now: select(FoodOrder.id, FoodOrder.status, FoodOrder.updated_at).where(
            FoodOrder.customer_id == user_id,
            FoodOrder.status.in_([OrderStatus.PLACED, OrderStatus.ACCEPTED, OrderStatus.READY, OrderStatus.PICKED_UP]),
        ),
        url=lambda order_id: url_for("food.order", order_id=order_id),
    )
)
