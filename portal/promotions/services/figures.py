"""What a festival or a collection did for its warungs: orders, customers and food sales of the
participating warungs while it ran, against the same number of days just before it (uplift).

A promotion still running is measured up to now, and compared with as many days before its
start. An order counts when it reached the warung (placed, not cancelled or rejected), on the
day it was placed; sales are the food (what the warung earns), without delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import and_, case, func, literal, or_, select, union_all

from portal.extensions import db
from portal.food.models import FoodOrder, OrderStatus
from portal.formatting import WIB
from portal.promotions.models import Collection, CollectionWarung, EntryStatus, Festival, FestivalEntry
from portal.promotions.vouchers.models import Voucher

NOT_COUNTED = (OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.AWAITING_PAYMENT)


@dataclass
class Window:
    orders: int = 0
    customers: int = 0
    sales: int = 0


@dataclass
class Uplift:
    kind: str  # "festival" | "collection"
    subject: Festival | Collection
    start: datetime  # UTC; the "before" window is [start - (end - start), start)
    end: datetime
    warungs: int
    during: Window
    before: Window
    budget: int | None = None  # the vouchers tied to it, when there are any
    used: int | None = None  # discounts the regency paid (or holds for orders being paid)

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400

    @property
    def extra_orders(self) -> int:
        return self.during.orders - self.before.orders

    @property
    def sales_uplift_pct(self) -> float | None:
        if not self.before.sales:
            return None
        return (self.during.sales - self.before.sales) * 100 / self.before.sales

    @property
    def left(self) -> int | None:
        return None if self.budget is None or self.used is None else self.budget - self.used

    @property
    def cost_per_extra_order(self) -> int | None:
        """Voucher money spent for each order more than before; none when there was no gain."""
        if not self.used or self.extra_orders <= 0:
            return None
        return round(self.used / self.extra_orders)


def _aggregate(n: int, warung_ids, warung_count, start: datetime, end: datetime):
    """Promotion number `n`'s row: its warungs, and orders, customers and sales in both windows."""
    before_start = start - (end - start)
    during = and_(FoodOrder.placed_at >= start, FoodOrder.placed_at < end)
    before = and_(FoodOrder.placed_at >= before_start, FoodOrder.placed_at < start)
    return select(
        literal(n).label("n"),
        warung_count.label("warungs"),
        func.count(case((during, FoodOrder.id))),
        func.count(func.distinct(case((during, FoodOrder.customer_id)))),
        func.coalesce(func.sum(case((during, FoodOrder.subtotal), else_=0)), 0),
        func.count(case((before, FoodOrder.id))),
        func.count(func.distinct(case((before, FoodOrder.customer_id)))),
        func.coalesce(func.sum(case((before, FoodOrder.subtotal), else_=0)), 0),
    ).where(
        FoodOrder.warung_id.in_(warung_ids),
        FoodOrder.placed_at >= before_start,
        FoodOrder.placed_at < end,
        FoodOrder.status.not_in([s.value for s in NOT_COUNTED]),
    )


def _festival_part(festival: Festival, now: datetime):
    approved = and_(FestivalEntry.festival_id == festival.id, FestivalEntry.status == EntryStatus.APPROVED)
    warungs = select(FestivalEntry.warung_id).where(approved)
    count = select(func.count(FestivalEntry.id)).where(approved).scalar_subquery()
    return festival.starts_at, min(festival.ends_at, now), warungs, count


def _collection_part(collection: Collection, now: datetime):
    start = datetime.combine(collection.starts_on, time(0), WIB).astimezone(UTC)
    end = min(datetime.combine(collection.ends_on + timedelta(days=1), time(0), WIB).astimezone(UTC), now)
    mine = CollectionWarung.collection_id == collection.id
    warungs = select(CollectionWarung.warung_id).where(mine)
    count = select(func.count(CollectionWarung.id)).where(mine).scalar_subquery()
    return start, end, warungs, count


def measure(subjects: list[Festival | Collection], now: datetime) -> list[Uplift]:
    """Every promotion's figures in ONE query (a UNION ALL of one aggregate per promotion)."""
    parts = []
    for n, subject in enumerate(subjects):
        kind = "festival" if isinstance(subject, Festival) else "collection"
        start, end, warungs, count = (_festival_part if kind == "festival" else _collection_part)(subject, now)
        if end > start:
            parts.append((n, kind, subject, start, end, _aggregate(n, warungs, count, start, end)))
    if not parts:
        return []
    rows = {row[0]: row for row in db.session.execute(union_all(*(p[-1] for p in parts)))}
    money = _voucher_money([p[2] for p in parts])
    results = []
    for n, kind, subject, start, end, _stmt in parts:
        row = rows[n]
        during, before = Window(*map(int, row[2:5])), Window(*map(int, row[5:8]))
        budget, used = money.get((kind, subject.id), (None, None))
        results.append(Uplift(kind, subject, start, end, int(row[1] or 0), during, before, budget, used))
    return results


def _voucher_money(subjects: list[Festival | Collection]) -> dict[tuple[str, int], tuple[int, int]]:
    """{(kind, id): (budget, spent)} of the vouchers tied to each promotion, in one query. `spent`
    is what the vouchers took from their budget (used, and reserved for orders being paid)."""
    festival_ids = [s.id for s in subjects if isinstance(s, Festival)]
    collection_ids = [s.id for s in subjects if isinstance(s, Collection)]
    rows = db.session.execute(
        select(Voucher.festival_id, Voucher.collection_id, func.sum(Voucher.budget), func.sum(Voucher.spent))
        .where(or_(Voucher.festival_id.in_(festival_ids), Voucher.collection_id.in_(collection_ids)))
        .group_by(Voucher.festival_id, Voucher.collection_id)
    )
    money = {}
    for festival_id, collection_id, budget, spent in rows:
        key = ("festival", festival_id) if festival_id is not None else ("collection", collection_id)
        money[key] = (int(budget or 0), int(spent or 0))
    return money


def festival_uplift(festival: Festival, now: datetime) -> Uplift:
    return measure([festival], now)[0]


def collection_uplift(collection: Collection, now: datetime) -> Uplift:
    return measure([collection], now)[0]


def promotion_figures(first: datetime, last: datetime, now: datetime) -> list[Uplift]:
    """Every festival and collection that had begun by `now` and overlaps [first, last): two
    queries to list them, one for all their figures, one for their vouchers' money."""
    festivals = db.session.scalars(
        select(Festival)
        .where(Festival.starts_at < min(last, now), Festival.ends_at > first)
        .order_by(Festival.starts_at, Festival.id)
    )
    start_day = first.astimezone(WIB).date()
    last_day = (min(last, now) - timedelta(microseconds=1)).astimezone(WIB).date()
    collections = db.session.scalars(
        select(Collection)
        .where(Collection.starts_on <= last_day, Collection.ends_on >= start_day)
        .order_by(Collection.starts_on, Collection.id)
    )
    return measure([*festivals, *collections], now)
