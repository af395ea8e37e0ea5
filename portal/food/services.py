"""Food verbs: the warung's profile and menu, the cart, checkout and every order move.

Each verb flushes and never commits (the request or job does). Every order move goes through
`portal.workflow.move`, which checks OrderStatus's flow and writes a FoodOrderEvent, so the
timeline is complete; an illegal move raises IllegalMove.
Couriers and payments are reached only through their contracts (portal.couriers, portal.payments).
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from types import SimpleNamespace
from typing import NamedTuple

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Integer, and_, bindparam, case, exists, func, or_, select
from sqlalchemy.orm import selectinload

from portal import activity
from portal.accounts.models import User
from portal.database import HotConnection, HotStatement, utcnow
from portal.extensions import db
from portal.food.models import (
    MAX_QUANTITY,
    PRICE_CAP,
    CartItem,
    Dish,
    FoodOrder,
    FoodOrderEvent,
    FoodOrderItem,
    OpeningPeriod,
    OrderStatus,
    Warung,
    WarungStatus,
    today_wib,
)
from portal.formatting import to_wib
from portal.jobs import enqueue
from portal.workflow import DomainError, move

log = logging.getLogger(__name__)
PAYABLE = "food_order"


class FoodError(DomainError):
    """A refusal; str(error) is a translated message for the user."""


class TotalChanged(FoodError):
    """Prices or the delivery fare moved since the customer saw the total: show the new one first."""

    def __init__(self, checkout: Checkout) -> None:
        super().__init__(_l("The total changed since you last saw it. Check the new total and place the order again."))
        self.checkout = checkout


# ---------------------------------------------------------------------------------------------
# Warung profile, hours, verification


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "warung"


def _unique_slug(name: str, warung_id: int | None = None) -> str:
    base = slugify(name)
    slug, n = base, 1
    while db.session.scalar(select(Warung.id).where(Warung.slug == slug, Warung.id != (warung_id or 0))):
        n += 1
        slug = f"{base}-{n}"
    return slug


def warung_of(owner: User) -> Warung | None:
    return db.session.scalar(select(Warung).where(Warung.owner_id == owner.id))


def save_warung(
    owner: User,
    *,
    name: str,
    description: str,
    address: str,
    lat: float,
    lng: float,
    phone: str,
    photo: str | None = None,
) -> Warung:
    """Create the owner's warung (waiting for an admin) or update it."""
    warung = warung_of(owner)
    if warung is None:
        warung = Warung(owner_id=owner.id, status=WarungStatus.PENDING, slug=_unique_slug(name))
        db.session.add(warung)
    warung.name = name.strip()
    warung.description = (description or "").strip()
    warung.address = address.strip()
    warung.lat, warung.lng = lat, lng
    warung.phone = phone
    if photo is not None:
        from portal.food.photos import delete_photo

        if warung.photo and warung.photo != photo:
            delete_photo(warung.photo)
        warung.photo = photo
    db.session.flush()
    return warung


Periods = dict[int, list[tuple[int, int]]]
_PERIOD = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*[-–]\s*(\d{1,2})[:.](\d{2})\s*$")


def parse_periods(text: str) -> list[tuple[int, int]]:
    """ "07:00-14:00, 17:00-02:00" -> [(420, 840), (1020, 120)]; a closing time not after the
    opening one crosses midnight. Raises FoodError on anything else."""
    periods = []
    for chunk in filter(None, (c.strip() for c in re.split(r"[,;]", text or ""))):
        match = _PERIOD.match(chunk)
        if not match:
            raise FoodError(_l('Write hours like "07:00-14:00, 17:00-23:00".'))
        h1, m1, h2, m2 = map(int, match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise FoodError(_l("%(text)s is not a time of day.", text=chunk))
        opens, closes = h1 * 60 + m1, h2 * 60 + m2
        if opens == closes:
            raise FoodError(_l("%(text)s opens and closes at the same time.", text=chunk))
        periods.append((opens, closes % 1440 if closes == 1440 else closes))
    return sorted(periods)


def format_periods(periods: list[OpeningPeriod]) -> str:
    return ", ".join(p.text.replace("–", "-") for p in periods)


def set_hours(warung: Warung, periods: Periods) -> None:
    warung.periods.clear()
    db.session.flush()
    for weekday, spans in sorted(periods.items()):
        for opens, closes in spans:
            warung.periods.append(OpeningPeriod(weekday=weekday, opens=opens, closes=closes))
    db.session.flush()


def set_closed_today(warung: Warung, closed: bool, *, now: datetime | None = None) -> None:
    warung.closed_on = today_wib(now) if closed else None
    db.session.flush()


def verify_warung(warung: Warung, *, by: User, now: datetime | None = None) -> None:
    """An admin lists the warung: it shows in the search and takes orders."""
    now = now or utcnow()
    move(warung, WarungStatus.VERIFIED, by=by, now=now)
    warung.reject_reason = ""
    warung.verified_at = now
    db.session.flush()


def reject_warung(warung: Warung, *, by: User, reason: str, now: datetime | None = None) -> None:
    """An admin does not approve (or delists) the warung; the owner sees the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise FoodError(_l("Say why, so the owner can fix it."))
    move(warung, WarungStatus.REJECTED, by=by, note=reason, now=now)
    warung.reject_reason = reason
    db.session.flush()


def close_warung(warung: Warung, *, by: User, reason: str, now: datetime | None = None) -> None:
    """The warung has shut for good: unlisted, and no later decision lists it again."""
    reason = (reason or "").strip()
    if not reason:
        raise FoodError(_l("Say why the warung is closed for good."))
    move(warung, WarungStatus.CLOSED, by=by, note=reason, now=now)


# ---------------------------------------------------------------------------------------------
# Menu


def _check_price(price: int) -> None:
    if price is None or price <= 0:
        raise FoodError(_l("The price must be more than Rp0."))
    if price > PRICE_CAP:
        raise FoodError(_l("The price looks too high: at most Rp5.000.000."))


def add_dish(warung: Warung, **values) -> Dish:
    _check_price(values.get("price"))
    position = db.session.scalar(select(func.coalesce(func.max(Dish.position), 0)).where(Dish.warung_id == warung.id))
    dish = Dish(warung_id=warung.id, position=position + 1, **values)
    db.session.add(dish)
    db.session.flush()
    return dish


def update_dish(dish: Dish, **values) -> None:
    _check_price(values.get("price", dish.price))
    photo = values.pop("photo", None)
    for key, value in values.items():
        setattr(dish, key, value)
    if photo is not None:
        from portal.food.photos import delete_photo

        if dish.photo and dish.photo != photo:
            delete_photo(dish.photo)
        dish.photo = photo
    db.session.flush()


def delete_dish(dish: Dish) -> None:
    from portal.food.photos import delete_photo

    photo = dish.photo
    db.session.delete(dish)
    db.session.flush()
    delete_photo(photo)


def move_dish(dish: Dish, direction: int) -> None:
    """Swap with the neighbour above (-1) or below (+1); positions are renumbered 1..n."""
    dishes = list(
        db.session.scalars(select(Dish).where(Dish.warung_id == dish.warung_id).order_by(Dish.position, Dish.id))
    )
    index = dishes.index(dish)
    other = index + direction
    if 0 <= other < len(dishes):
        dishes[index], dishes[other] = dishes[other], dishes[index]
    for n, item in enumerate(dishes, start=1):
        item.position = n
    db.session.flush()


def set_sold_out(dish: Dish, sold_out: bool, *, now: datetime | None = None) -> None:
    """Sold out for today only (WIB): tomorrow the dish is back by itself."""
    dish.sold_out_on = today_wib(now) if sold_out else None
    db.session.flush()


# ---------------------------------------------------------------------------------------------
# Finding warungs


def _open_clause(minute, weekday, yesterday, today):
    P = OpeningPeriod
    period_open = exists().where(
        P.warung_id == Warung.id,
        or_(
            and_(
                P.weekday == weekday,
                P.opens <= minute,
                or_(P.closes > minute, P.closes <= P.opens),
            ),
            and_(P.weekday == yesterday, P.closes <= P.opens, P.closes > minute),
        ),
    )
    return and_(or_(Warung.closed_on.is_(None), Warung.closed_on != today), period_open)


def open_params(now: datetime | None = None) -> dict:
    """The values OPEN_NOW is run with: the WIB minute, weekday, the day before, the date."""
    local = to_wib(now or utcnow())
    weekday = local.weekday()
    return {
        "minute": local.hour * 60 + local.minute,
        "weekday": weekday,
        "yesterday": (weekday - 1) % 7,
        "today": local.date(),
    }


def open_now_clause(now: datetime | None = None):
    """SQL twin of Warung.is_open, so the list can sort and page in the database."""
    return _open_clause(**open_params(now))


# The same, with its values left as parameters (open_params): for statements built once.
OPEN_NOW = _open_clause(
    bindparam("minute", type_=Integer),
    bindparam("weekday", type_=Integer),
    bindparam("yesterday", type_=Integer),
    bindparam("today", type_=Date),
)


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def search_warungs(q: str = "", *, lat: float | None = None, lng: float | None = None, now: datetime | None = None):
    """Verified warungs, open ones first, then nearest (when a location is given), then by name."""
    is_open = open_now_clause(now)
    stmt = select(Warung, is_open.label("open_now")).where(Warung.status == WarungStatus.VERIFIED)
    q = (q or "").strip()
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Warung.name).like(like),
                func.lower(Warung.description).like(like),
                exists().where(
                    Dish.warung_id == Warung.id,
                    or_(func.lower(Dish.name).like(like), func.lower(Dish.name_en).like(like)),
                ),
            )
        )
    order = [case((is_open, 0), else_=1)]
    if lat is not None and lng is not None:
        # Equirectangular: exact enough to sort within a regency, and plain SQL on both databases.
        k = math.cos(math.radians(lat))
        order.append((Warung.lat - lat) * (Warung.lat - lat) + (Warung.lng - lng) * k * (Warung.lng - lng) * k)
    order += [Warung.name, Warung.id]
    return stmt.order_by(*order)


def menu(warung_id: int) -> list[Dish]:
    """The warung's dishes in menu order: one query whatever their number. The visitor's cart
    quantities are filled in by the menu page itself (it shares one render between visitors)."""
    return list(db.session.scalars(select(Dish).where(Dish.warung_id == warung_id).order_by(Dish.position, Dish.id)))


# ---------------------------------------------------------------------------------------------
# Cart


def _check_quantity(quantity: int) -> None:
    if quantity is None or quantity < 1:
        raise FoodError(_l("The quantity must be at least 1."))
    if quantity > MAX_QUANTITY:
        raise FoodError(_l("At most %(n)s of one dish per order.", n=MAX_QUANTITY))


def _orderable_dish(dish_id: int, warung_id: int | None = None) -> Dish:
    dish = db.session.get(Dish, dish_id)
    if dish is None or dish.warung.status != WarungStatus.VERIFIED:
        raise FoodError(_l("That dish is not on any menu."))
    if warung_id is not None and dish.warung_id != warung_id:
        raise FoodError(_l("That dish is from another warung."))
    return dish


class Added(NamedTuple):
    quantity: int  # of this dish in the cart now
    warung_id: int


def add_to_cart(user: User, dish_id: int, quantity: int = 1, *, now: datetime | None = None) -> Added:
    """Put `quantity` more of a dish in the user's cart, in ONE statement.

    The upsert itself checks that the dish is on a verified menu, not sold out today, and that
    the line stays within MAX_QUANTITY, so it needs no lock taken earlier: two quick taps, or
    two tabs, each add theirs. Only when it changed nothing is the reason looked up.
    """
    _check_quantity(quantity)
    params = {"user_id": user.id, "dish_id": dish_id, "quantity": quantity, "now": now or utcnow()}
    params["today"] = today_wib(params["now"])
    # On the session's connection and in its transaction, without Core's per-execution work.
    rows = _ADD.in_session(**params)
    if rows:
        return Added(rows[0]["quantity"], rows[0]["warung_id"])
    dish = _orderable_dish(dish_id)
    if dish.sold_out(now):
        raise FoodError(_l("%(dish)s is sold out today.", dish=dish.name))
    raise FoodError(_l("At most %(n)s of one dish per order.", n=MAX_QUANTITY))


class AddedToCart(NamedTuple):
    quantity: int  # of this dish in the cart now
    warung_id: int
    cart_count: int  # items in the cart at that warung
    cart_total: int  # their food total, rupiah


def add_to_cart_quick(
    hot: HotConnection, user_id: int, dish_id: int, quantity: int = 1, *, now: datetime | None = None
) -> AddedToCart | None:
    """`add_to_cart` and then `cart_summary`, for a user known only by id, outside the ORM
    session (see `HotConnection`): the upsert in its own short transaction, the cart bar read
    just after it commits, so SQLite's write lock is held for the one statement.

    None when the upsert changed nothing (the dish is not orderable, or the line is full): the
    caller takes `add_to_cart`'s path, which finds and says why. The cart bar is read after the
    commit, so it may already include another tab's add: it shows the cart as it is.
    """
    _check_quantity(quantity)
    now = now or utcnow()
    params = {"user_id": user_id, "dish_id": dish_id, "quantity": quantity, "now": now, "today": today_wib(now)}
    with hot.transaction():  # on SQLite the write lock is held for this one statement
        rows = hot.run(_ADD, **params)
    if not rows:
        return None
    line = rows[0]
    summary = hot.run(_SUMMARY, user_id=user_id, warung_id=line["warung_id"])[0]
    return AddedToCart(line["quantity"], line["warung_id"], int(summary["count"]), int(summary["total"]))


def _add_statement():
    """Compiled once per engine (add-to-cart is the busiest write); only parameters vary."""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    lines = CartItem.__table__
    upsert = insert(lines).from_select(
        ["user_id", "warung_id", "dish_id", "quantity", "added_at"],
        select(
            bindparam("user_id", type_=Integer),
            Dish.warung_id,
            Dish.id,
            bindparam("quantity", type_=Integer),
            bindparam("now", type_=CartItem.added_at.type),
        )
        .join(Warung, Warung.id == Dish.warung_id)
        .where(
            Dish.id == bindparam("dish_id"),
            Warung.status == WarungStatus.VERIFIED,
            or_(Dish.sold_out_on.is_(None), Dish.sold_out_on != bindparam("today", type_=Date)),
        ),
    )
    return upsert.on_conflict_do_update(
        index_elements=[lines.c.user_id, lines.c.dish_id],
        set_={"quantity": lines.c.quantity + upsert.excluded.quantity},
        where=lines.c.quantity + upsert.excluded.quantity <= MAX_QUANTITY,
    ).returning(lines.c.quantity, lines.c.warung_id)


def set_cart_quantity(user: User, dish_id: int, quantity: int) -> CartItem | None:
    """Change a line; 0 removes it."""
    item = db.session.scalar(select(CartItem).where(CartItem.user_id == user.id, CartItem.dish_id == dish_id))
    if item is None:
        raise FoodError(_l("That dish is not in your cart."))
    if quantity == 0:
        db.session.delete(item)
        db.session.flush()
        return None
    _check_quantity(quantity)
    item.quantity = quantity
    db.session.flush()
    return item


def cart_lines(user: User, warung_id: int | None = None) -> list[CartItem]:
    stmt = (
        select(CartItem)
        .where(CartItem.user_id == user.id)
        .options(selectinload(CartItem.dish), selectinload(CartItem.warung).selectinload(Warung.periods))
        .order_by(CartItem.warung_id, CartItem.added_at, CartItem.id)
    )
    if warung_id is not None:
        stmt = stmt.where(CartItem.warung_id == warung_id)
    return list(db.session.scalars(stmt))


def cart_summary(user: User, warung_id: int) -> tuple[int, int]:
    """(items, food total) of the user's cart at one warung: the menu's cart bar."""
    row = _SUMMARY.in_session(user_id=user.id, warung_id=warung_id)[0]
    return int(row["count"]), int(row["total"])


def _summary_statement():
    """It answers every add-to-cart: compiled once per engine."""
    return (
        select(
            func.coalesce(func.sum(CartItem.quantity), 0).label("count"),
            func.coalesce(func.sum(CartItem.quantity * Dish.price), 0).label("total"),
        )
        .join(Dish, Dish.id == CartItem.dish_id)
        .where(CartItem.user_id == bindparam("user_id"), CartItem.warung_id == bindparam("warung_id"))
    )


_ADD = HotStatement(_add_statement)
_SUMMARY = HotStatement(_summary_statement)


def carts(user: User) -> dict[Warung, list[CartItem]]:
    grouped: dict[Warung, list[CartItem]] = {}
    for line in cart_lines(user):
        grouped.setdefault(line.warung, []).append(line)
    return grouped


# ---------------------------------------------------------------------------------------------
# Checkout


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


def _stops(warung: Warung, customer: User, address: str, lat: float, lng: float, note: str):
    from portal.couriers.contract import Stop

    pickup = Stop(name=warung.name, phone=warung.phone, address=warung.address, lat=warung.lat, lng=warung.lng)
    dropoff = Stop(name=customer.name, phone=customer.phone, address=address, lat=lat, lng=lng, note=note or "")
    return pickup, dropoff


def _job(
    warung: Warung,
    customer: User,
    address: str,
    lat: float,
    lng: float,
    note: str,
    description: str = "",
    reference: str = "",
    cash_to_collect: int = 0,
):
    from portal.couriers.contract import Job, Purpose, Requirements

    pickup, dropoff = _stops(warung, customer, address, lat, lng, note)
    return Job(
        purpose=Purpose.FOOD,
        pickup=pickup,
        dropoff=dropoff,
        requirements=Requirements(pin=True),
        reference=reference,
        description=description,
        cash_to_collect=cash_to_collect,
    )


def quote_fee(warung: Warung, customer: User, address: str, lat: float, lng: float, note: str = "", *, now=None):
    from portal.couriers import services as couriers

    try:
        return couriers.quote(_job(warung, customer, address, lat, lng, note), now=now)
    except couriers.CourierError as error:
        raise FoodError(str(error)) from None


def price_checkout(
    user: User,
    warung_id: int,
    *,
    address: str = "",
    lat: float | None = None,
    lng: float | None = None,
    note: str = "",
    now: datetime | None = None,
    strict: bool = True,
) -> Checkout:
    """What the order would cost now. strict: refuse when the warung is closed or a dish is gone."""
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
        quote = quote_fee(warung, user, address, lat, lng, note, now=now)
        fee, eta, provider = quote.fee, quote.eta_minutes, quote.provider
    checkout = Checkout(warung, priced, subtotal, fee, subtotal + fee, eta, provider, problems)
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
    now: datetime | None = None,
) -> FoodOrder:
    """Turn the cart for one warung into an order. The same `key` always yields the same order."""
    from portal.payments.models import PaymentMethod
    from portal.payments.services import PaymentError, start_payment

    existing = order_for_key(key)
    if existing is not None:
        if existing.customer_id != user.id:
            raise FoodError(_l("This checkout form has expired. Please try again."))
        return existing
    if payment_method not in (PaymentMethod.CARD, PaymentMethod.CASH):
        raise FoodError(_l("Choose card or cash."))
    now = now or utcnow()
    checkout = price_checkout(user, warung_id, address=address, lat=lat, lng=lng, note=note, now=now)
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
        total=checkout.total,
        courier_provider=checkout.provider,
        created_at=now,
        updated_at=now,
    )
    order.items = [
        FoodOrderItem(dish_id=line.dish.id, name=line.dish.name, price=line.price, quantity=line.quantity)
        for line in checkout.lines
    ]
    order.events.append(FoodOrderEvent(status=OrderStatus.AWAITING_PAYMENT, at=now, by_id=user.id))
    db.session.add(order)
    db.session.flush()
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
        _place(order, now=now)
    db.session.flush()
    return order


# ---------------------------------------------------------------------------------------------
# Order moves


def _place(order: FoodOrder, *, now: datetime | None = None) -> None:
    move(order, OrderStatus.PLACED, by=None, now=now)
    order.placed_at = now or utcnow()
    enqueue(notify_order, order.id, "placed")


def mark_paid(order: FoodOrder, *, now: datetime | None = None) -> None:
    """The card payment succeeded: the order goes to the warung. Paid after it was cancelled
    (the customer cancelled with the card page still open): the money goes back, after commit."""
    if order.state == OrderStatus.AWAITING_PAYMENT:
        _place(order, now=now)
    elif order.state in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
        enqueue(refund_late_payment, order.id)


def refund_late_payment(order_id: int) -> None:
    """Job: refund a payment that succeeded for an order that no longer stands. Idempotent."""
    order = db.session.get(FoodOrder, order_id)
    if order is not None and order.state in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
        _refund(order, order.reason or "cancelled before payment", None)


def _owner_check(order: FoodOrder, by: User) -> None:
    if order.warung.owner_id != by.id:
        raise FoodError(_l("This order is for another warung."))


def accept_order(order: FoodOrder, *, by: User, now: datetime | None = None) -> None:
    _owner_check(order, by)
    move(order, OrderStatus.ACCEPTED, by=by, now=now)
    enqueue(notify_order, order.id, "accepted")


def _refund(order: FoodOrder, reason: str, by: User | None) -> None:
    from portal.payments.models import PaymentStatus
    from portal.payments.services import PaymentError, payment_for, refund

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
    reason = (reason or "").strip() or str(_l("Cancelled by the customer"))
    move(order, OrderStatus.CANCELLED, by=by, note=reason, now=now)
    order.reason = reason
    _refund(order, reason, by)


def mark_ready(order: FoodOrder, *, by: User, now: datetime | None = None):
    """Cooked and packed: a courier is requested; the customer gets the handover PIN."""
    from portal.couriers import services as couriers

    _owner_check(order, by)
    move(order, OrderStatus.READY, by=by, now=now)
    count = order.item_count
    job = _job(
        order.warung,
        order.customer,
        order.address,
        order.lat,
        order.lng,
        order.note,
        description=str(_l("%(n)s items from %(warung)s", n=count, warung=order.warung.name)),
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
            from portal.payments.models import PaymentStatus
            from portal.payments.services import mark_cash_received, payment_for

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
    order.rating_warung = warung_stars
    order.rating_courier = courier_stars
    order.rating_comment = (comment or "").strip()[:500]
    db.session.flush()


def warung_rating(warung_id: int) -> tuple[float | None, int]:
    avg, count = db.session.execute(
        select(func.avg(FoodOrder.rating_warung), func.count(FoodOrder.rating_warung)).where(
            FoodOrder.warung_id == warung_id
        )
    ).one()
    return (round(float(avg), 1) if avg is not None else None, count)


# ---------------------------------------------------------------------------------------------
# The owner's order board


# Still moving, and the warung's to act on or watch (an unpaid order is not the warung's yet).
ACTIVE_FOR_OWNER = tuple(s for s in OrderStatus.active() if s != OrderStatus.AWAITING_PAYMENT)


def owner_orders(warung: Warung, *, now: datetime | None = None, limit: int = 50) -> list[FoodOrder]:
    """Open orders first (oldest first), then today's finished ones. Items and customer preloaded."""
    start = _start_of_day(now)
    stmt = (
        select(FoodOrder)
        .where(
            FoodOrder.warung_id == warung.id,
            FoodOrder.status != OrderStatus.AWAITING_PAYMENT,
            or_(FoodOrder.status.in_(ACTIVE_FOR_OWNER), FoodOrder.placed_at >= start),
        )
        .options(selectinload(FoodOrder.items), selectinload(FoodOrder.customer))
        .order_by(case((FoodOrder.status.in_(ACTIVE_FOR_OWNER), 0), else_=1), FoodOrder.placed_at, FoodOrder.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def _start_of_day(now: datetime | None) -> datetime:
    from datetime import UTC

    local = to_wib(now or utcnow())
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def today_total(warung: Warung, *, now: datetime | None = None) -> tuple[int, int]:
    """(orders, food total in rupiah) placed today (WIB) and not rejected or cancelled."""
    count, total = db.session.execute(
        select(func.count(FoodOrder.id), func.coalesce(func.sum(FoodOrder.subtotal), 0)).where(
            FoodOrder.warung_id == warung.id,
            FoodOrder.placed_at >= _start_of_day(now),
            FoodOrder.status.not_in((OrderStatus.REJECTED, OrderStatus.CANCELLED, OrderStatus.AWAITING_PAYMENT)),
        )
    ).one()
    return count, int(total)


def board_etag(warung: Warung) -> str:
    """Changes whenever an order of this warung moves: the board polls cheaply with it."""
    latest, count = db.session.execute(
        select(func.max(FoodOrder.updated_at), func.count(FoodOrder.id)).where(FoodOrder.warung_id == warung.id)
    ).one()
    return f"board-{warung.id}-{count}-{latest.timestamp() if latest else 0}"


def newest_placed_id(orders: list[FoodOrder]) -> int:
    return max((o.id for o in orders if o.state == OrderStatus.PLACED), default=0)


# ---------------------------------------------------------------------------------------------
# Polling


@cache
def _poll_statement():
    """Built once per process (polls are the most frequent request); only the parameters vary.
    Plain columns, no ORM entities: it runs on a bare connection, not the session."""
    from portal.couriers.contract import Purpose
    from portal.couriers.models import Delivery

    return (
        select(
            FoodOrder.status,
            FoodOrder.updated_at,
            (FoodOrder.customer_id == User.id).label("is_customer"),
            User.locale,
            *(column.label(f"delivery_{column.key}") for column in _delivery_etag_columns(Delivery)),
        )
        .join(Warung, Warung.id == FoodOrder.warung_id)
        .join(User, or_(User.id == FoodOrder.customer_id, User.id == Warung.owner_id))
        .outerjoin(Delivery, and_(Delivery.purpose == Purpose.FOOD, Delivery.origin_id == FoodOrder.id))
        .where(FoodOrder.id == bindparam("order_id"), User.session_token == bindparam("token"))
        .order_by(Delivery.id.desc())
        .limit(1)
    )


def _delivery_etag_columns(Delivery):
    """What portal.couriers.services.tracking_etag reads of a delivery."""
    return (
        Delivery.id,
        Delivery.status,
        Delivery.updated_at,
        Delivery.courier_id,
        Delivery.courier_name,
        Delivery.eta,
        Delivery.retry_at,
    )


class PollState(NamedTuple):
    status: str
    updated_at: datetime
    is_customer: bool
    locale: str | None
    delivery: SimpleNamespace | None  # the delivery's ETag fields, when there is one


_POLL = HotStatement(_poll_statement)


@cache
def _delivery_fields() -> list[tuple[str, str]]:
    """(the poll's column label, the delivery's attribute) for each ETag field."""
    from portal.couriers.models import Delivery

    return [(f"delivery_{column.key}", column.key) for column in _delivery_etag_columns(Delivery)]


def poll_state(order_id: int, session_token: str) -> PollState | None:
    """What the tracking ETag needs, when the holder of `session_token` may see the order; else None.

    One query, run as a HotStatement: an unchanged poll never opens an ORM session."""
    values = _POLL.first(order_id=order_id, token=session_token)
    if values is None:
        return None
    delivery = None
    if values["delivery_id"] is not None:
        delivery = SimpleNamespace(**{name: values[label] for label, name in _delivery_fields()})
    return PollState(values["status"], values["updated_at"], bool(values["is_customer"]), values["locale"], delivery)


# ---------------------------------------------------------------------------------------------
# Notifications (jobs: take ids, idempotent enough to be sent again)

MESSAGES = {
    "placed": lambda p: _l("Order %(n)s placed at %(warung)s. We will tell you when the warung accepts it.", **p),
    "accepted": lambda p: _l("%(warung)s accepted your order %(n)s and is cooking it.", **p),
    "ready": lambda p: _l(
        "Your order %(n)s is ready; a courier is coming. Give the courier this PIN at the door: %(pin)s", **p
    ),
    "rejected": lambda p: _l(
        "%(warung)s could not take your order %(n)s: %(reason)s. Your money is refunded if you paid.", **p
    ),
    "delivery_failed": lambda p: _l("The delivery of your order %(n)s failed. We will contact you.", **p),
}


def notify_order(order_id: int, kind: str) -> None:
    from portal import notify
    from portal.formatting import rupiah

    order = db.session.get(FoodOrder, order_id)
    if order is None:
        return
    params = {"n": order.id, "warung": order.warung.name, "pin": order.delivery_pin or "-", "reason": order.reason}
    notify.send(MESSAGES[kind](params), user=order.customer, url=url_for("food.order", order_id=order.id))
    if kind == "placed":
        notify.send(
            _l(
                "New order %(n)s: %(count)s items, %(total)s. Open your orders page to accept it.",
                n=order.id,
                count=order.item_count,
                total=rupiah(order.subtotal),
            ),
            user=order.warung.owner,
            url=url_for("food.owner_orders"),
        )


# ---------------------------------------------------------------------------------------------
# Signals from payments and couriers


def _on_payment_succeeded(payment, **_kwargs) -> None:
    if payment.payable_type != PAYABLE:
        return
    order = db.session.get(FoodOrder, payment.payable_id)
    if order is not None:
        mark_paid(order)


def _on_delivery_changed(delivery, old=None, new=None, **_kwargs) -> None:
    from portal.couriers.contract import Purpose

    if delivery.purpose != Purpose.FOOD:
        return
    order = db.session.get(FoodOrder, delivery.origin_id)
    if order is not None:
        on_delivery_moved(order, str(new), courier=delivery.courier)


def _connect_receivers() -> None:
    try:
        from portal.couriers.signals import delivery_changed
        from portal.payments.signals import payment_succeeded
    except ImportError:  # pragma: no cover - before couriers/payments are merged
        return
    payment_succeeded.connect(_on_payment_succeeded)
    delivery_changed.connect(_on_delivery_changed)


_connect_receivers()


# ---------------------------------------------------------------------------------------------
# My activity


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
