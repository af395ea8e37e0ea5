"""The dashboard's figures, each set in one aggregate query whatever the amount of data:
requests by day and status for every service at once (a UNION ALL), the request-to-handover
percentiles for every service and day at once, money by service and method, then one query
per food, rides and courier table. The database groups; Python only lays the few result rows out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, exists, func, literal_column, or_, select, union_all

from portal.accounts.models import User
from portal.admin.dashboard import indexes as _indexes  # noqa: F401 - the indexes these queries use
from portal.admin.dashboard import services as svc
from portal.admin.dashboard.period import Period
from portal.admin.dashboard.services import Service
from portal.admin.dashboard.sql import percentiles
from portal.couriers.models import Delivery, DeliveryEvent, DeliveryStatus, DriverProfile
from portal.extensions import db
from portal.food.models import FoodOrder, OrderStatus, Warung
from portal.payments.models import Payment, PaymentMethod, PaymentStatus
from portal.rides.models import BookingStatus, DriverAvailability, RideBooking, RouteClosure

PAID = [PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED]
REFUNDED = {PaymentStatus.PARTIALLY_REFUNDED.value, PaymentStatus.REFUNDED.value}
# A booking that holds its seat: what "seats sold" counts.
SOLD = [
    BookingStatus.CONFIRMED,
    BookingStatus.DRIVER_ON_THE_WAY,
    BookingStatus.RIDING,
    BookingStatus.COMPLETED,
    BookingStatus.NO_SHOW,
]
WARUNG_ROWS = 100
DRIVER_ROWS = 20


@dataclass
class Times:
    n: int
    median: float  # minutes
    p90: float


@dataclass
class Figures:
    """One service's figures for the period."""

    service: Service
    per_day: dict[date, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(svc.OUTCOME_LABELS, 0))
    times: dict[date, Times] = field(default_factory=dict)
    paid: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PaymentMethod, 0))  # method -> rupiah
    refunds: int = 0  # rupiah given back
    refunded: int = 0  # payments (partly) refunded

    @property
    def total(self) -> int:
        return sum(self.per_day.values())

    @property
    def subsidy(self) -> int:
        return self.paid[PaymentMethod.SUBSIDY]


def overview(period: Period, services: list[Service], hospital_id: int | None = None) -> dict[str, Figures]:
    """Volume, outcomes, handover times and money of each service: three queries in all."""
    figures = {s.key: Figures(s) for s in services}
    counted = [stmt for s in services if (stmt := svc.requests(s, period, hospital_id)) is not None]
    if counted:
        for row in db.session.execute(union_all(*counted)):
            f = figures[row.service]
            f.per_day[row.day] = f.per_day.get(row.day, 0) + row.n
            f.outcomes[f.service.outcome(row.status)] += row.n
    timed = [stmt for s in services if (stmt := svc.handovers(s, period, hospital_id)) is not None]
    if timed:
        durations = union_all(*timed).subquery("durations")
        for row in db.session.execute(percentiles(durations, "seconds", ["service", "day"], _dialect())):
            figures[row.service].times[row.day] = Times(row.n, row.p50 / 60, row.p90 / 60)
    for row in db.session.execute(_money(period, services, hospital_id)):
        f = figures.get(svc.BY_PAYABLE[row.payable_type].key) if row.payable_type in svc.BY_PAYABLE else None
        if f is None or row.method not in f.paid:
            continue
        f.paid[row.method] += row.amount or 0
        f.refunds += row.refunded or 0
        if row.status in REFUNDED:
            f.refunded += row.n
    return figures


def _money(period: Period, services: list[Service], hospital_id: int | None) -> Select:
    stmt = (
        select(
            Payment.payable_type,
            Payment.method,
            Payment.status,
            func.count().label("n"),
            func.sum(Payment.amount).label("amount"),
            func.sum(Payment.refunded_amount).label("refunded"),
        )
        .where(Payment.created_at >= period.start, Payment.created_at < period.end, Payment.status.in_(PAID))
        .where(Payment.payable_type.in_([payable for s in services for payable in s.payables]))
        .group_by(Payment.payable_type, Payment.method, Payment.status)
    )
    if hospital_id and svc.MEDICINE_INSTALLED:
        mine = select(svc.MedicineDelivery.id).where(svc.MedicineDelivery.hospital_id == hospital_id)
        stmt = stmt.where(Payment.payable_id.in_(mine))
    return stmt


def medicine_hospitals(period: Period, hospital_id: int | None = None) -> list[tuple[str, date | None, Times]]:
    """(hospital, day, times) per hospital and WIB day, then (hospital, None, times) for the whole
    period: two statements over the same durations."""
    stmt = svc.medicine_by_hospital(period, hospital_id)
    if stmt is None:
        return []
    durations = stmt.subquery("by_hospital")
    dialect = _dialect()
    rows = [
        (row.hospital, row.day, Times(row.n, row.p50 / 60, row.p90 / 60))
        for row in db.session.execute(percentiles(durations, "seconds", ["hospital", "day"], dialect))
    ]
    rows += [
        (row.hospital, None, Times(row.n, row.p50 / 60, row.p90 / 60))
        for row in db.session.execute(percentiles(durations, "seconds", ["hospital"], dialect))
    ]
    return sorted(rows, key=lambda r: (r[0], r[1] is None, r[1] or date.min))


# --- food ----------------------------------------------------------------------------------------

WARUNG_SORTS = {"name", "orders", "delivered", "sales", "average"}


@dataclass(frozen=True)
class WarungSales:
    name: str
    slug: str
    orders: int
    delivered: int
    sales: int  # rupiah: the food of delivered orders (delivery fees go to the courier)

    @property
    def average(self) -> int:
        return self.sales // self.delivered if self.delivered else 0


def warung_sales(period: Period) -> list[WarungSales]:
    """Every warung with orders in the period, best sellers first (at most WARUNG_ROWS)."""
    delivered = FoodOrder.status == OrderStatus.DELIVERED
    sales = func.coalesce(func.sum(FoodOrder.subtotal).filter(delivered), 0)
    stmt = (
        select(
            Warung.name,
            Warung.slug,
            func.count(FoodOrder.id).label("orders"),
            func.count(FoodOrder.id).filter(delivered).label("delivered"),
            sales.label("sales"),
        )
        .join(Warung, Warung.id == FoodOrder.warung_id)
        .where(FoodOrder.placed_at >= period.start, FoodOrder.placed_at < period.end)
        .group_by(Warung.id, Warung.name, Warung.slug)
        .order_by(sales.desc(), Warung.name)
        .limit(WARUNG_ROWS)
    )
    return [WarungSales(*row) for row in db.session.execute(stmt)]


def sort_warungs(rows: list[WarungSales], key: str) -> list[WarungSales]:
    if key == "name":
        return sorted(rows, key=lambda r: r.name.lower())
    return sorted(rows, key=lambda r: (-getattr(r, key), r.name.lower()))


def new_warungs(period: Period) -> list[tuple[str, str, date]]:
    """Warungs that signed up in the period: name, status, WIB day."""
    stmt = (
        select(Warung.name, Warung.status, Warung.created_at)
        .where(Warung.created_at >= period.start, Warung.created_at < period.end)
        .order_by(Warung.created_at)
        .limit(50)
    )
    return [(name, status, period.day_of(at)) for name, status, at in db.session.execute(stmt)]


# --- rides ---------------------------------------------------------------------------------------


def seats(period: Period) -> dict[date, tuple[int, int]]:
    """Night -> (seats offered, seats sold): drivers available that night, bookings holding one."""
    # Both halves in one statement: offered rows carry sold = 0, sold rows offered = 0.
    offered = (
        select(
            DriverAvailability.night.label("night"), func.count().label("offered"), literal_column("0").label("sold")
        )
        .where(DriverAvailability.night.between(period.first, period.last))
        .group_by(DriverAvailability.night)
    )
    sold = (
        select(RideBooking.night.label("night"), literal_column("0").label("offered"), func.count().label("sold"))
        .where(RideBooking.night.between(period.first, period.last), RideBooking.status.in_(SOLD))
        .group_by(RideBooking.night)
    )
    result: dict[date, tuple[int, int]] = {}
    for row in db.session.execute(union_all(offered, sold)):
        o, s = result.get(row.night, (0, 0))
        result[row.night] = (o + row.offered, s + row.sold)
    return result


def closures(period: Period) -> list[RouteClosure]:
    """Closures (not lifted) that cover a night of the period."""
    stmt = (
        select(RouteClosure)
        .where(RouteClosure.lifted_at.is_(None))
        .where(RouteClosure.first_night <= period.last, RouteClosure.last_night >= period.first)
        .order_by(RouteClosure.first_night)
    )
    return list(db.session.scalars(stmt))


# --- couriers ------------------------------------------------------------------------------------

FALLBACK_NOTES = ("% declined: %", "% kept failing %")  # portal.couriers' dispatch notes


def per_driver(period: Period) -> list[tuple[str, int]]:
    """Local drivers by deliveries handed over in the period (jobs created in it)."""
    n = func.count(Delivery.id)
    stmt = (
        select(User.name, n.label("n"))
        .join(User, User.id == Delivery.courier_id)
        .where(Delivery.created_at >= period.start, Delivery.created_at < period.end)
        .where(Delivery.status == DeliveryStatus.DELIVERED)
        .group_by(User.id, User.name)
        .order_by(n.desc(), User.name)
        .limit(DRIVER_ROWS)
    )
    return [(name, n) for name, n in db.session.execute(stmt)]


@dataclass(frozen=True)
class ProviderShare:
    provider: str
    jobs: int
    delivered: int
    fallbacks: int  # jobs another provider declined or kept failing before this one took them


def providers(period: Period) -> list[ProviderShare]:
    fell_back = exists().where(
        DeliveryEvent.delivery_id == Delivery.id, or_(*(DeliveryEvent.note.like(p) for p in FALLBACK_NOTES))
    )
    stmt = (
        select(
            Delivery.provider,
            func.count().label("jobs"),
            func.count().filter(Delivery.status == DeliveryStatus.DELIVERED).label("delivered"),
            func.count().filter(fell_back).label("fallbacks"),
        )
        .where(Delivery.created_at >= period.start, Delivery.created_at < period.end)
        .group_by(Delivery.provider)
        .order_by(Delivery.provider)
    )
    return [
        ProviderShare(p or "–", jobs, delivered, fallbacks)
        for p, jobs, delivered, fallbacks in db.session.execute(stmt)
    ]


def local_drivers() -> int:
    return db.session.scalar(select(func.count()).select_from(DriverProfile).where(DriverProfile.status == "verified"))


def _dialect() -> str:
    return db.session.get_bind().dialect.name
