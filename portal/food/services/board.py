"""The owner's order board (polled) and the order page's poll: what changed, asked cheaply."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import Row, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import selectinload

from portal.couriers.contract import Purpose
from portal.couriers.models import Delivery
from portal.couriers.services import TRACKED
from portal.database import utcnow
from portal.extensions import db
from portal.food.models import FoodOrder, OrderStatus, Warung
from portal.formatting import to_wib

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


class PollState(NamedTuple):
    status: str
    updated_at: datetime
    customer_id: int
    owner_id: int
    delivery: Row  # the latest delivery's TRACKED columns (all None when there is none)


# Built once with a bound parameter: compiled once, never rebuilt, for the app's most frequent
# request (every open order page asks every 5 s).
_POLL = (
    select(FoodOrder.status, FoodOrder.updated_at, FoodOrder.customer_id, Warung.owner_id, TRACKED)
    .join(Warung, Warung.id == FoodOrder.warung_id)
    .outerjoin(Delivery, and_(Delivery.purpose == Purpose.FOOD, Delivery.origin_id == FoodOrder.id))
    .where(FoodOrder.id == bindparam("order_id"))
    .order_by(Delivery.id.desc())
    .limit(1)
)


def poll_state(order_id: int) -> PollState | None:
    """What the order page's ETag needs, in ONE query: the order's status and who may see it, and
    its latest delivery's tracked columns. An unchanged poll answers 304 from this, before loading
    anything else."""
    row = db.session.execute(_POLL, {"order_id": order_id}).first()
    return PollState(*row) if row is not None else None
