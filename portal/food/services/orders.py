"""Every move of a food order after it is placed, each through portal.workflow.move (which checks
OrderStatus's flow and writes the FoodOrderEvent), and the rating at the end."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import update

from portal import reasons
from portal.accounts.models import User
from portal.couriers import services as couriers
from portal.couriers.models import Delivery
from portal.database import utcnow
from portal.extensions import db
from portal.food.models import FoodOrder, OrderStatus, Warung
from portal.food.services.delivery import courier_job
from portal.food.services.errors import FoodError
from portal.food.services.notifications import notify_order
from portal.jobs import enqueue
from portal.payments.models import PaymentStatus
from portal.payments.services import PaymentError, mark_cash_received, payment_for, refund
from portal.workflow import move

PAYABLE = "food_order"  # the payable_type of a food order's payment


def send_to_warung(order: FoodOrder, *, now: datetime | None = None) -> None:
    """Paid (or cash): the order reaches the warung's board."""
    move(order, OrderStatus.PLACED, by=None, now=now)
    order.placed_at = now or utcnow()
    enqueue(notify_order, order.id, "placed")


def mark_paid(order: FoodOrder, *, now: datetime | None = None) -> None:
    """The card payment succeeded: the order goes to the warung. Paid after it was cancelled
    (the customer cancelled with the card page still open): the money goes back, after commit."""
    if order.state == OrderStatus.AWAITING_PAYMENT:
        send_to_warung(order, now=now)
    elif order.state in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
        enqueue(refund_late_payment, order.id)


def refund_late_payment(order_id: int) -> None:
    """Job: refund a payment that succeeded for an order that no longer stands. Idempotent."""
    order = db.session.get(FoodOrder, order_id)
    if order is not None and order.state in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
        _refund(order, order.reason or reasons.CANCELLED_BEFORE_PAYMENT, None)


def _owner_check(order: FoodOrder, by: User) -> None:
    if order.warung.owner_id != by.id:
        raise FoodError(_l("This order is for another warung."))


def accept_order(order: FoodOrder, *, by: User, now: datetime | None = None) -> None:
    _owner_check(order, by)
    move(order, OrderStatus.ACCEPTED, by=by, now=now)
    enqueue(notify_order, order.id, "accepted")


def _refund(order: FoodOrder, reason: str, by: User | None) -> None:
    payment = payment_for(PAYABLE, order.id)
    if payment is None or payment.status != PaymentStatus.SUCCEEDED:
        return
    try:
        refund(payment, reason=reason, by=by)
    except PaymentError as error:
        raise FoodError(str(error)) from None


def reject_order(order: FoodOrder, *, by: User, reason: str, now: datetime | None = None) -> None:
    """The warung cannot cook it: the customer gets the money back."""
    _owner_check(order, by)
    reason = (reason or "").strip()
    if not reason:
        raise FoodError(_l('Tell the customer why (e.g. "sold out", "closing early").'))
    move(order, OrderStatus.REJECTED, by=by, note=reason, now=now)
    order.reason = reason
    _refund(order, reason, by)
    enqueue(notify_order, order.id, "rejected")


def cancel_order(order: FoodOrder, *, by: User, reason: str = "", now: datetime | None = None) -> None:
    """The customer changes their mind while the warung has not accepted yet."""
    if not order.cancellable:
        raise FoodError(_l("The warung already accepted this order, so it can no longer be cancelled."))
    reason = (reason or "").strip() or reasons.CANCELLED_BY_CUSTOMER
    move(order, OrderStatus.CANCELLED, by=by, note=reason, now=now)
    order.reason = reason
    _refund(order, reason, by)


def mark_ready(order: FoodOrder, *, by: User, now: datetime | None = None) -> Delivery:
    """Cooked and packed: a courier is requested; the customer gets the handover PIN."""
    _owner_check(order, by)
    move(order, OrderStatus.READY, by=by, now=now)
    job = courier_job(
        order.warung,
        order.customer,
        order.address,
        order.lat,
        order.lng,
        order.note,
        description=lazy_ngettext(
            "%(num)d item from %(warung)s", "%(num)d items from %(warung)s", order.item_count, warung=order.warung.name
        ),
        reference=f"food-order-{order.id}",
        cash_to_collect=order.total if order.payment_method == "cash" else 0,
    )
    try:
        delivery = couriers.request_delivery(job, origin_id=order.id, customer=order.customer, now=now)
    except couriers.CourierError as error:
        raise FoodError(str(error)) from None
    order.delivery_pin = getattr(delivery, "issued_pin", None) or order.delivery_pin
    order.courier_provider = delivery.provider or order.courier_provider
    db.session.flush()
    enqueue(notify_order, order.id, "ready")
    return delivery


def on_delivery_moved(order: FoodOrder, new_status: str, *, courier: User | None, now: datetime | None = None) -> None:
    """Follow the courier: picked up → on the way; delivered → done (cash collected)."""
    if new_status == "picked_up" and order.state == OrderStatus.READY:
        # The courier module tells the customer (assigned, picked up, delivered): no second message.
        move(order, OrderStatus.PICKED_UP, by=courier, now=now)
    elif new_status == "delivered" and order.state.can_become(OrderStatus.DELIVERED):
        move(order, OrderStatus.DELIVERED, by=courier, now=now)
        if order.payment_method == "cash":
            payment = payment_for(PAYABLE, order.id)
            if payment is not None and payment.status == PaymentStatus.PENDING and courier is not None:
                mark_cash_received(payment, by=courier)
    elif new_status in ("failed", "returned", "cancelled") and order.state.can_become(OrderStatus.DELIVERY_FAILED):
        move(order, OrderStatus.DELIVERY_FAILED, by=courier, now=now)
        enqueue(notify_order, order.id, "delivery_failed")


def rate_order(order: FoodOrder, *, by: User, warung_stars: int, courier_stars: int | None, comment: str = "") -> None:
    if order.customer_id != by.id:
        raise FoodError(_l("Only the customer rates an order."))
    if order.state != OrderStatus.DELIVERED:
        raise FoodError(_l("You can rate the order once it is delivered."))
    if order.rating_warung is not None:
        raise FoodError(_l("You already rated this order. Thank you!"))
    for stars in (warung_stars, courier_stars):
        if stars is not None and not 1 <= stars <= 5:
            raise FoodError(_l("Choose 1 to 5 stars."))
    # Conditional: of two taps at once (two tabs, a double submit) only one rates, and only that
    # one adds its stars to the warung's.
    rated = db.session.execute(
        update(FoodOrder)
        .where(FoodOrder.id == order.id, FoodOrder.rating_warung.is_(None))
        .values(rating_warung=warung_stars, rating_courier=courier_stars, rating_comment=(comment or "").strip()[:500])
    )
    if rated.rowcount != 1:
        raise FoodError(_l("You already rated this order. Thank you!"))
    db.session.execute(
        update(Warung)
        .where(Warung.id == order.warung_id)
        .values(rating_total=Warung.rating_total + warung_stars, rating_count=Warung.rating_count + 1)
    )
