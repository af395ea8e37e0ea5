"""Warungs, their hours and dishes, carts, and food orders with their timeline."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import chain
from typing import ClassVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    update,
)
from sqlalchemy.orm import Mapped, Session, attributes, mapped_column, relationship
from sqlalchemy.orm.util import identity_key

from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db
from portal.formatting import to_wib, today_wib
from portal.i18n import in_language
from portal.workflow import EventMixin, Status

PRICE_CAP = 5_000_000  # rupiah: no warung dish costs more; a typo like 250000000 is caught
MAX_QUANTITY = 50


class WarungStatus(Status):
    """An admin's decision on a warung: only a verified one is listed and takes orders."""

    PENDING = "pending", _l("Waiting for verification")
    VERIFIED = "verified", _l("Verified")
    REJECTED = "rejected", _l("Not approved")
    # The warung has shut for good: unlisted, and no decision brings it back.
    CLOSED = "closed", _l("Closed for good")


WarungStatus.flow(
    {
        WarungStatus.PENDING: {WarungStatus.VERIFIED, WarungStatus.REJECTED, WarungStatus.CLOSED},
        WarungStatus.VERIFIED: {WarungStatus.REJECTED, WarungStatus.CLOSED},
        WarungStatus.REJECTED: {WarungStatus.VERIFIED, WarungStatus.CLOSED},
        WarungStatus.CLOSED: (),
    }
)


class Warung(db.Model):
    __tablename__ = "warungs"
    statuses: ClassVar[type[Status]] = WarungStatus

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    description: Mapped[str] = mapped_column(Text, default="")  # Indonesian
    description_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    address: Mapped[str] = mapped_column(String(300))
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    phone: Mapped[str] = mapped_column(String(20))
    photo: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=WarungStatus.PENDING, index=True)
    reject_reason: Mapped[str] = mapped_column(String(300), default="")
    verified_at: Mapped[datetime | None]
    closed_on: Mapped[date | None] = mapped_column(Date)  # the "closed today" switch (WIB date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Counts every change to what the menu page shows (this row, its hours, its dishes): the key
    # of the shared rendered menu (portal.food.routes). Bumped by _bump_menu_versions, below.
    menu_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Its customers' stars, kept as they rate (portal.food.services.orders.rate_order): a list
    # of cards reads them with the warung instead of averaging its orders on every visit.
    rating_total: Mapped[int] = mapped_column(default=0, server_default="0")
    rating_count: Mapped[int] = mapped_column(default=0, server_default="0")

    owner: Mapped[User] = relationship()
    periods: Mapped[list[OpeningPeriod]] = relationship(
        back_populates="warung", cascade="all, delete-orphan", order_by="(OpeningPeriod.weekday, OpeningPeriod.opens)"
    )
    dishes: Mapped[list[Dish]] = relationship(
        back_populates="warung", cascade="all, delete-orphan", order_by="(Dish.position, Dish.id)"
    )
    # Every admin decision (verified, not approved, closed for good): who, when, why.
    events: Mapped[list[WarungEvent]] = relationship(
        back_populates="warung", cascade="all, delete-orphan", order_by="WarungEvent.id"
    )

    @property
    def verified(self) -> bool:
        return self.status == WarungStatus.VERIFIED

    @property
    def rating(self) -> float | None:
        """The mean of its customers' stars to one decimal, None before the first rating."""
        return round(self.rating_total / self.rating_count, 1) if self.rating_count else None

    @property
    def state(self) -> WarungStatus:
        return WarungStatus(self.status)

    @property
    def status_label(self) -> str:
        return self.state.label

    def closed_today(self, now: datetime | None = None) -> bool:
        return self.closed_on == today_wib(now)

    def is_open(self, now: datetime | None = None) -> bool:
        """Open now (WIB)? A period whose closing time is not after its opening crosses midnight."""
        if self.closed_today(now):
            return False
        local = to_wib(now or utcnow())
        minute = local.hour * 60 + local.minute
        weekday = local.weekday()
        yesterday = (weekday - 1) % 7
        for period in self.periods:
            if period.weekday == weekday and period.covers_from_start(minute):
                return True
            if period.weekday == yesterday and period.crosses_midnight and minute < period.closes:
                return True
        return False

    def periods_on(self, weekday: int) -> list[OpeningPeriod]:
        return [p for p in self.periods if p.weekday == weekday]

    def display_description(self, locale: str) -> str:
        return in_language(locale, self.description, self.description_en)


class WarungEvent(EventMixin, db.Model):
    __tablename__ = "warung_events"
    statuses = WarungStatus

    warung_id: Mapped[int] = mapped_column(ForeignKey("warungs.id", ondelete="CASCADE"), index=True)

    warung: Mapped[Warung] = relationship(back_populates="events")


class OpeningPeriod(db.Model):
    """One span of opening on a weekday (0 = Monday), in minutes after midnight WIB."""

    __tablename__ = "warung_opening_periods"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("opens BETWEEN 0 AND 1439 AND closes BETWEEN 0 AND 1440", name="minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    warung_id: Mapped[int] = mapped_column(ForeignKey("warungs.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    opens: Mapped[int] = mapped_column(Integer)
    closes: Mapped[int] = mapped_column(Integer)

    warung: Mapped[Warung] = relationship(back_populates="periods")

    @property
    def crosses_midnight(self) -> bool:
        return self.closes <= self.opens

    def covers_from_start(self, minute: int) -> bool:
        if self.crosses_midnight:
            return minute >= self.opens
        return self.opens <= minute < self.closes

    @staticmethod
    def hhmm(minutes: int) -> str:
        return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"

    @property
    def text(self) -> str:
        return f"{self.hhmm(self.opens)}–{self.hhmm(self.closes)}"


class Dish(db.Model):
    __tablename__ = "dishes"
    __table_args__ = (CheckConstraint(f"price > 0 AND price <= {PRICE_CAP}", name="price"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    warung_id: Mapped[int] = mapped_column(ForeignKey("warungs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120), index=True)  # Indonesian
    name_en: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(60), default="")  # Indonesian; groups the menu
    category_en: Mapped[str] = mapped_column(String(60), default="", server_default="")
    photo: Mapped[str | None] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    sold_out_on: Mapped[date | None] = mapped_column(Date)  # sold out for this WIB day only
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    warung: Mapped[Warung] = relationship(back_populates="dishes")

    def sold_out(self, now: datetime | None = None) -> bool:
        return self.sold_out_on == today_wib(now)

    def display_name(self, locale: str) -> str:
        return in_language(locale, self.name, self.name_en)

    def display_description(self, locale: str) -> str:
        return in_language(locale, self.description, self.description_en)

    def display_category(self, locale: str) -> str:
        return in_language(locale, self.category, self.category_en)


class CartItem(db.Model):
    """A line in a user's cart. A user has one cart per warung: the lines that share warung_id."""

    __tablename__ = "cart_items"
    __table_args__ = (
        UniqueConstraint("user_id", "dish_id"),
        CheckConstraint(f"quantity BETWEEN 1 AND {MAX_QUANTITY}", name="quantity"),
        # One cart is (user, warung): every add reads its bar by both. Indexed by warung alone,
        # a popular warung's lines from every customer would be scanned to find one cart.
        Index("ix_cart_items_user_warung", "user_id", "warung_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    warung_id: Mapped[int] = mapped_column(ForeignKey("warungs.id", ondelete="CASCADE"), index=True)
    dish_id: Mapped[int] = mapped_column(ForeignKey("dishes.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    dish: Mapped[Dish] = relationship()
    warung: Mapped[Warung] = relationship()


class OrderStatus(Status):
    AWAITING_PAYMENT = "awaiting_payment", _l("Waiting for payment")
    PLACED = "placed", _l("Placed")
    ACCEPTED = "accepted", _l("Being cooked")
    READY = "ready", _l("Ready, waiting for a courier")  # the order page says when one is on the way
    PICKED_UP = "picked_up", _l("On the way to you")
    DELIVERED = "delivered", _l("Delivered")
    REJECTED = "rejected", _l("Rejected by the warung")
    CANCELLED = "cancelled", _l("Cancelled")
    DELIVERY_FAILED = "delivery_failed", _l("Delivery failed")


# The only moves an order can make; workflow.move raises IllegalMove on anything else.
OrderStatus.flow(
    {
        OrderStatus.AWAITING_PAYMENT: {OrderStatus.PLACED, OrderStatus.CANCELLED},
        OrderStatus.PLACED: {OrderStatus.ACCEPTED, OrderStatus.REJECTED, OrderStatus.CANCELLED},
        OrderStatus.ACCEPTED: {OrderStatus.READY},
        OrderStatus.READY: {OrderStatus.PICKED_UP, OrderStatus.DELIVERED, OrderStatus.DELIVERY_FAILED},
        OrderStatus.PICKED_UP: {OrderStatus.DELIVERED, OrderStatus.DELIVERY_FAILED},
        OrderStatus.DELIVERED: (),
        OrderStatus.REJECTED: (),
        OrderStatus.CANCELLED: (),
        OrderStatus.DELIVERY_FAILED: (),
    }
)


class FoodOrder(db.Model):
    __tablename__ = "food_orders"
    statuses: ClassVar[type[Status]] = OrderStatus
    __table_args__ = (
        # The owner's board, today's total and the board's ETag all ask "this warung's orders, by day".
        Index("ix_food_orders_warung_id_placed_at", "warung_id", "placed_at"),
        CheckConstraint("rating_warung IS NULL OR rating_warung BETWEEN 1 AND 5", name="rating_warung"),
        CheckConstraint("rating_courier IS NULL OR rating_courier BETWEEN 1 AND 5", name="rating_courier"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The token the checkout form carried: a double-clicked "place order" finds the first order.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    warung_id: Mapped[int] = mapped_column(ForeignKey("warungs.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.AWAITING_PAYMENT)
    address: Mapped[str] = mapped_column(String(300))
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(String(300), default="")
    payment_method: Mapped[str] = mapped_column(String(10))
    subtotal: Mapped[int] = mapped_column(Integer)
    delivery_fee: Mapped[int] = mapped_column(Integer)
    # Taken off by a regency voucher (portal/promotions/vouchers), which the regency pays as a
    # subsidy: the warung still gets `subtotal`; the customer pays `total` = subtotal + fee - discount.
    discount: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    total: Mapped[int] = mapped_column(Integer)
    courier_provider: Mapped[str] = mapped_column(String(30), default="")
    # Shown to the customer on the order page and sent by SMS: the courier asks for it at the door.
    delivery_pin: Mapped[str | None] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(300), default="")  # why rejected / cancelled
    rating_warung: Mapped[int | None] = mapped_column(Integer)
    rating_courier: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    placed_at: Mapped[datetime | None] = mapped_column(index=True)

    customer: Mapped[User] = relationship()
    warung: Mapped[Warung] = relationship()
    items: Mapped[list[FoodOrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="FoodOrderItem.id"
    )
    events: Mapped[list[FoodOrderEvent]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="FoodOrderEvent.id"
    )

    @property
    def state(self) -> OrderStatus:
        return OrderStatus(self.status)

    @property
    def item_count(self) -> int:
        return sum(item.quantity for item in self.items)

    @property
    def cancellable(self) -> bool:
        return self.state.can_become(OrderStatus.CANCELLED)

    @property
    def rateable(self) -> bool:
        return self.state == OrderStatus.DELIVERED and self.rating_warung is None

    def within(self, days: int, now: datetime | None = None) -> bool:
        return (now or utcnow()) - self.created_at < timedelta(days=days)


class FoodOrderItem(db.Model):
    """A copy of the dish at ordering time: later edits to the menu never change an order."""

    __tablename__ = "food_order_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("food_orders.id", ondelete="CASCADE"), index=True)
    dish_id: Mapped[int | None] = mapped_column(ForeignKey("dishes.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(120))  # Indonesian, as the menu said it then
    name_en: Mapped[str] = mapped_column(String(120), default="", server_default="")  # "" when it had none
    price: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)

    order: Mapped[FoodOrder] = relationship(back_populates="items")

    def display_name(self, locale: str) -> str:
        return in_language(locale, self.name, self.name_en)

    @property
    def line_total(self) -> int:
        return self.price * self.quantity


class FoodOrderEvent(EventMixin, db.Model):
    __tablename__ = "food_order_events"
    statuses = OrderStatus

    order_id: Mapped[int] = mapped_column(ForeignKey("food_orders.id", ondelete="CASCADE"), index=True)

    order: Mapped[FoodOrder] = relationship(back_populates="events")


class CashHandover(db.Model):
    """Cash a courier brought the warung: what they took at the door for its cash orders, less
    their own fee, recorded by the owner once it is in their hands (portal.food.services.cash)."""

    __tablename__ = "food_cash_handovers"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    warung_id: Mapped[int] = mapped_column(ForeignKey("warungs.id", ondelete="CASCADE"), index=True)
    courier_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int] = mapped_column(Integer)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    courier: Mapped[User] = relationship(foreign_keys=[courier_id])


@event.listens_for(Session, "after_flush")
def _bump_menu_versions(session: Session, flush_context) -> None:
    """Any flushed change to a dish, an opening period or the warung row itself gives the warung
    a new menu_version, in the same transaction, with one UPDATE ... SET n = n + 1.

    The increment is atomic (on PostgreSQL the row lock orders concurrent editors), so a version
    number is only ever seen together with the changes that produced it: a menu rendered after
    reading version n shows at least everything committed up to n. A clock or a max(updated_at)
    cannot promise that when two edits commit in another order than they flushed.
    """
    warung_ids: set[int] = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Dish | OpeningPeriod):
            history = attributes.get_history(obj, "warung_id", passive=attributes.PASSIVE_NO_INITIALIZE)
            warung_ids.update(i for i in chain(history.added, history.unchanged, history.deleted) if i is not None)
    for obj in session.dirty:  # a new warung starts at 0; a deleted one has no menu
        if isinstance(obj, Warung) and session.is_modified(obj, include_collections=False):
            warung_ids.add(obj.id)
    if not warung_ids:
        return
    session.connection().execute(
        update(Warung).where(Warung.id.in_(sorted(warung_ids))).values(menu_version=Warung.menu_version + 1)
    )
    for warung_id in warung_ids:  # the loaded rows' counters are out of date now
        if (loaded := session.identity_map.get(identity_key(Warung, warung_id))) is not None:
            session.expire(loaded, ["menu_version"])
