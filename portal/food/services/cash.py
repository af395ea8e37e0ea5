"""The cash couriers hold for a warung. A cash-on-delivery order's courier takes the whole total at
the door; all of it but their delivery fee is the warung's (a voucher's discount the regency pays
the warung itself). The owner records what a courier hands over; what a courier still holds is what
they took, less their fees, less what was handed over. Two queries for a warung, whatever its
history; one for what a courier holds, on their day page (registered with portal.couriers, which
does not import food)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from portal.accounts.models import User
from portal.couriers import services as couriers
from portal.couriers.contract import DeliveryStatus, Purpose
from portal.couriers.models import Delivery
from portal.database import utcnow
from portal.extensions import db
from portal.food.models import CashHandover, FoodOrder, OrderStatus, Warung
from portal.food.services.errors import FoodError
from portal.formatting import rupiah
from portal.payments.models import PaymentMethod


@dataclass(frozen=True, slots=True)
class CashHeld:
    """What one courier took at the door for this warung, and what they handed over."""

    courier_id: int
    name: str
    phone: str
    orders: int
    taken: int  # the customers' cash less the courier's fees: the warung's money
    handed: int

    @property
    def owed(self) -> int:
        return max(0, self.taken - self.handed)


def _delivered_cash_orders():
    """Cash orders delivered by one of our couriers, with that courier and their fee."""
    return (
        select(FoodOrder.warung_id, FoodOrder.total, Delivery.courier_id, Delivery.fee)
        .join(Delivery, and_(Delivery.purpose == Purpose.FOOD, Delivery.origin_id == FoodOrder.id))
        .where(
            FoodOrder.payment_method == PaymentMethod.CASH,
            FoodOrder.status == OrderStatus.DELIVERED,
            Delivery.status == DeliveryStatus.DELIVERED,
            Delivery.courier_id.is_not(None),
        )
    )


def cash_held(warung: Warung) -> list[CashHeld]:
    """Every courier who ever took this warung's cash, most owed first (those square shown too)."""
    orders = _delivered_cash_orders().where(FoodOrder.warung_id == warung.id).subquery()
    taken = db.session.execute(
        select(
            orders.c.courier_id,
            User.name,
            User.phone,
            func.count().label("orders"),
            func.sum(orders.c.total - orders.c.fee).label("taken"),
        )
        .join(User, User.id == orders.c.courier_id)
        .group_by(orders.c.courier_id, User.name, User.phone)
    ).all()
    handed = dict(
        db.session.execute(
            select(CashHandover.courier_id, func.sum(CashHandover.amount))
            .where(CashHandover.warung_id == warung.id)
            .group_by(CashHandover.courier_id)
        ).all()
    )
    held = [
        CashHeld(
            row.courier_id, row.name, row.phone or "", row.orders, int(row.taken), int(handed.get(row.courier_id, 0))
        )
        for row in taken
    ]
    return sorted(held, key=lambda entry: (-entry.owed, entry.name))


def record_handover(
    warung: Warung, courier_id: int, amount: int, *, by: User, now: datetime | None = None
) -> CashHandover:
    """The owner has `amount` rupiah from that courier in hand: at most what the courier holds."""
    if warung.owner_id != by.id:
        raise FoodError(_l("Only the warung's owner records the cash it receives."))
    # One owner, two tabs: the warung's row orders the two records, so both cannot take the same cash.
    db.session.execute(select(Warung.id).where(Warung.id == warung.id).with_for_update())
    entry = next((held for held in cash_held(warung) if held.courier_id == courier_id), None)
    if entry is None or entry.owed <= 0:
        raise FoodError(_l("This courier holds no cash for your warung."))
    if not 0 < amount <= entry.owed:
        raise FoodError(
            _l("Enter an amount between Rp1 and %(owed)s, what the courier holds.", owed=rupiah(entry.owed))
        )
    row = CashHandover(
        warung_id=warung.id, courier_id=courier_id, amount=amount, recorded_by_id=by.id, at=now or utcnow()
    )
    db.session.add(row)
    db.session.flush()
    return row


@couriers.register_cash_source
def _cash_held_by(courier_id: int) -> list[couriers.CashForWarung]:
    """The courier's side of `cash_held`: for each warung whose cash orders they delivered, what
    they took, their fees within it and what the owner recorded as received. One query."""
    orders = _delivered_cash_orders().where(Delivery.courier_id == courier_id).subquery()
    handed = (
        select(func.coalesce(func.sum(CashHandover.amount), 0))
        .where(CashHandover.warung_id == Warung.id, CashHandover.courier_id == courier_id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(
            Warung.name,
            Warung.address,
            func.sum(orders.c.total).label("collected"),
            func.sum(orders.c.fee).label("fee"),
            func.count().label("jobs"),
            handed.label("handed"),
        )
        .join(orders, orders.c.warung_id == Warung.id)
        .group_by(Warung.id, Warung.name, Warung.address)
    ).all()
    return [
        couriers.CashForWarung(row.name, row.address, int(row.collected), int(row.fee), row.jobs, int(row.handed))
        for row in rows
    ]
