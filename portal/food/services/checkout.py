"""From a cart to an order: price it (with a fresh courier quote), then place it once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, url_for
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db
from portal.food.models import Dish, FoodOrder, FoodOrderEvent, FoodOrderItem, OrderStatus, Warung, WarungStatus
from portal.food.services.cart import cart_lines
from portal.food.services.delivery import quote_fee
from portal.food.services.errors import FoodError
from portal.food.services.orders import PAYABLE, send_to_warung
from portal.food.services.warungs import distance_km
from portal.payments.models import PaymentMethod
from portal.payments.services import PaymentError, start_payment
from portal.promotions.vouchers import services as vouchers
from portal.promotions.vouchers.models import Voucher


@dataclass
class Line:
    dish: Dish
    quantity: int
    price: int

    @property
    def total(self) -> int:
        return self.price * self.quantity


@dataclass
class Checkout:
    warung: Warung
    lines: list[Line]
    subtotal: int
    fee: int
    total: int
    eta_minutes: int | None = None
    provider: str = ""
    problems: list[str] = field(default_factory=list)
    # A regency voucher (one per order): what it takes off the food, and why a typed code did not apply.
    discount: int = 0
    voucher: Voucher | None = None
    voucher_problem: str | None = None
    voucher_code: str = ""

    @property
    def gross(self) -> int:
        """Food and delivery: what the warung and the courier are paid, whoever pays it."""
        return self.subtotal + self.fee


class TotalChanged(FoodError):
    """Prices or the delivery fare moved since the customer saw the total: show the new one first."""

    def __init__(self, checkout: Checkout) -> None:
        super().__init__(_l("The total changed since you last saw it. Check the new total and place the order again."))
        self.checkout = checkout


def check_radius(warung: Warung, lat: float, lng: float) -> None:
    """A drop-off beyond DELIVERY_RADIUS_KM (as the crow flies) from the warung is refused, saying how far."""
    limit = current_app.config["DELIVERY_RADIUS_KM"]
    km = distance_km(warung.lat, warung.lng, lat, lng)
    if km > limit:
        raise FoodError(
            _l(
                "That drop-off is %(km)s km from %(warung)s; it delivers up to %(max)s km away. "
                "Choose an address closer to the warung, or a warung nearer to you.",
                km=format_decimal(round(km, 1), format="#,##0.0"),
                warung=warung.name,
                max=format_decimal(limit, format="#,##0.#"),
            )
        )


def price_checkout(
    user: User,
    warung_id: int,
    *,
    address: str = "",
    lat: float | None = None,
    lng: float | None = None,
    note: str = "",
    voucher_code: str = "",
    now: datetime | None = None,
    strict: bool = True,
) -> Checkout:
    """What the order would cost now, with the voucher typed (or the best automatic discount).
    strict: refuse when the warung is closed or a dish is gone."""
    lines = cart_lines(user, warung_id)
    if not lines:
        raise FoodError(_l("Your cart for this warung is empty."))
    warung = lines[0].warung
    problems: list[str] = []
    if warung.status != WarungStatus.VERIFIED:
        problems.append(str(_l("This warung is not taking orders.")))
    elif not warung.is_open(now):
        problems.append(str(_l("%(warung)s is closed now. You can order when it opens.", warung=warung.name)))
    for line in lines:
        if line.dish.sold_out(now):
            problems.append(
                str(_l("%(dish)s sold out since you added it. Remove it to continue.", dish=line.dish.name))
            )
    priced = [Line(dish=line.dish, quantity=line.quantity, price=line.dish.price) for line in lines]
    subtotal = sum(line.total for line in priced)
    fee, eta, provider = 0, None, ""
    if lat is not None and lng is not None:
        check_radius(warung, lat, lng)
        quote = quote_fee(warung, user, address, lat, lng, note, now=now)
        fee, eta, provider = quote.fee, quote.eta_minutes, quote.provider
    offer = vouchers.find_offer(user, warung, subtotal, code=voucher_code, now=now)
    checkout = Checkout(
        warung,
        priced,
        subtotal,
        fee,
        subtotal + fee - offer.amount,
        eta,
        provider,
        problems,
        discount=offer.amount,
        voucher=offer.voucher,
        voucher_problem=offer.problem,
        voucher_code=offer.code,
    )
    if strict and problems:
        raise FoodError(" ".join(problems))
    return checkout


def order_for_key(key: str) -> FoodOrder | None:
    return db.session.scalar(select(FoodOrder).where(FoodOrder.idempotency_key == key))


def place_order(
    user: User,
    warung_id: int,
    *,
    key: str,
    address: str,
    lat: float,
    lng: float,
    note: str,
    payment_method: str,
    expected_total: int | None,
    voucher_code: str = "",
    now: datetime | None = None,
) -> FoodOrder:
    """Turn the cart for one warung into an order. The same `key` always yields the same order.

    A voucher's discount is reserved from its budget here; if the budget ran out (or the
    customer's limit was reached) since the review, TotalChanged shows the new total first."""
    existing = order_for_key(key)
    if existing is not None:
        if existing.customer_id != user.id:
            raise FoodError(_l("This checkout form has expired. Please try again."))
        return existing
    if payment_method not in (PaymentMethod.CARD, PaymentMethod.CASH):
        raise FoodError(_l("Choose card or cash."))
    now = now or utcnow()
    where = {"address": address, "lat": lat, "lng": lng, "note": note, "voucher_code": voucher_code, "now": now}
    checkout = price_checkout(user, warung_id, **where)
    if expected_total != checkout.total:
        raise TotalChanged(checkout)
    order = FoodOrder(
        idempotency_key=key,
        customer_id=user.id,
        warung_id=checkout.warung.id,
        status=OrderStatus.AWAITING_PAYMENT,
        address=address.strip(),
        lat=lat,
        lng=lng,
        note=(note or "").strip(),
        payment_method=payment_method,
        subtotal=checkout.subtotal,
        delivery_fee=checkout.fee,
        discount=checkout.discount,
        total=checkout.total,
        courier_provider=checkout.provider,
        created_at=now,
        updated_at=now,
    )
    order.items = [
        FoodOrderItem(
            dish_id=line.dish.id,
            name=line.dish.name,
            name_en=line.dish.name_en,
            price=line.price,
            quantity=line.quantity,
        )
        for line in checkout.lines
    ]
    if payment_method == PaymentMethod.CARD:
        # A cash order goes to the warung at once: its history starts at "placed", not "waiting for payment".
        order.events.append(FoodOrderEvent(status=OrderStatus.AWAITING_PAYMENT, at=now, by_id=user.id))
    db.session.add(order)
    db.session.flush()
    if checkout.voucher is not None:
        try:
            vouchers.reserve(checkout.voucher, amount=checkout.discount, user=user, order=order, now=now)
        except vouchers.VoucherRefused as refused:  # the caller rolls the order back
            changed = price_checkout(user, warung_id, **where)
            changed.voucher_problem = changed.voucher_problem or str(refused)
            raise TotalChanged(changed) from None
    for line in cart_lines(user, checkout.warung.id):
        db.session.delete(line)
    try:
        start_payment(
            payable_type=PAYABLE,
            payable_id=order.id,
            customer=user,
            amount=order.total,
            method=PaymentMethod(payment_method),
            return_url=url_for("food.order", order_id=order.id),
        )
    except PaymentError as error:
        raise FoodError(str(error)) from None
    if payment_method == PaymentMethod.CASH:
        send_to_warung(order, now=now)
    db.session.flush()
    return order


def may_pay_cash_instead(order: FoodOrder) -> bool:
    """Still waiting for its card payment: the customer may pay the courier in cash instead."""
    return order.state == OrderStatus.AWAITING_PAYMENT and order.payment_method == PaymentMethod.CARD


def switch_to_cash(order: FoodOrder, *, by: User, now: datetime | None = None) -> None:
    """The card cannot be paid here (no JavaScript, no card at hand): cash to the courier
    instead. The card payment is called off first, so it can never charge as well; if it was
    paid after all, the order simply goes ahead as paid."""
    if order.customer_id != by.id:
        raise FoodError(_l("This is not your order."))
    if not may_pay_cash_instead(order):
        raise FoodError(_l("This order no longer waits for a card payment."))
    now = now or utcnow()
    try:
        payment = start_payment(
            payable_type=PAYABLE,
            payable_id=order.id,
            customer=by,
            amount=order.total,
            method=PaymentMethod.CASH,
            return_url=url_for("food.order", order_id=order.id),
            now=now,
        )
    except PaymentError as error:
        raise FoodError(str(error)) from None
    if payment.kind != PaymentMethod.CASH:
        return  # paid by card after all: the payment's own signal has sent the order on
    order.payment_method = PaymentMethod.CASH.value
    send_to_warung(order, now=now)
    db.session.flush()
