"""The public figures (`/figures`): what the regency can say about every service, month by month,
without a name, an address or a warung's takings in it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select, union_all

from portal.admin.dashboard import charts
from portal.admin.dashboard import services as svc
from portal.admin.dashboard.period import Period
from portal.admin.dashboard.sql import month_of, percentiles, wib_day
from portal.admin.dashboard.tables import Column, Table
from portal.couriers.models import DriverProfile, DriverStatus
from portal.database import utcnow
from portal.extensions import db
from portal.food.models import FoodOrder, OrderStatus, Warung, WarungStatus
from portal.formatting import today_wib

MONTHS = 12
ACTIVE_DAYS = 30  # a warung is active when it delivered an order in the last 30 days


@dataclass
class Month:
    month: str  # YYYY-MM
    delivered: dict[str, int] = field(default_factory=dict)  # service -> handed over / completed
    median: dict[str, float] = field(default_factory=dict)  # service -> minutes
    free_medicine: int = 0


@dataclass
class PublicFigures:
    months: list[Month]
    active_warungs: int
    local_drivers: int
    services: list[svc.Service]

    @property
    def etag(self) -> str:
        parts = (
            [(m.month, sorted(m.delivered.items()), sorted(m.median.items()), m.free_medicine) for m in self.months],
            self.active_warungs,
            self.local_drivers,
        )
        return "fig-" + hashlib.sha256(repr(parts).encode()).hexdigest()[:20]


def period(now: datetime | None = None) -> Period:
    """The last twelve calendar months, this one included (so far)."""
    today = today_wib(now)
    first = today.replace(day=1)
    for _month in range(MONTHS - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return Period("custom", first, today)


def public_figures(now: datetime | None = None) -> PublicFigures:
    span = period(now)
    services = [s for s in svc.SERVICES if s.installed]
    months = _months(span)
    by_month = {m.month: m for m in months}
    counted = [stmt for s in services if (stmt := svc.requests(s, span)) is not None]
    rows = union_all(*counted).subquery("requests")
    month = month_of(rows.c.day)
    for row in db.session.execute(
        select(rows.c.service, month.label("month"), rows.c.status, func.sum(rows.c.n).label("n")).group_by(
            rows.c.service, month, rows.c.status
        )
    ):
        if svc.BY_KEY[row.service].outcome(row.status) == svc.DELIVERED and row.month in by_month:
            counts = by_month[row.month].delivered
            counts[row.service] = counts.get(row.service, 0) + int(row.n)
    timed = [stmt for s in services if (stmt := svc.handovers(s, span)) is not None]
    durations = union_all(*timed).subquery("durations")
    monthly = select(durations.c.service, month_of(durations.c.day).label("month"), durations.c.seconds).subquery("m")
    dialect = db.session.get_bind().dialect.name
    for row in db.session.execute(percentiles(monthly, "seconds", ["service", "month"], dialect, ps=(0.5,))):
        if row.month in by_month:
            by_month[row.month].median[row.service] = row.p50 / 60
    if svc.MEDICINE_INSTALLED:
        free = _free_medicine(span)
        for row in db.session.execute(free):
            if row.month in by_month:
                by_month[row.month].free_medicine = row.n
    recent = (now or utcnow()) - timedelta(days=ACTIVE_DAYS)
    active, drivers = db.session.execute(
        select(
            select(func.count(func.distinct(FoodOrder.warung_id)))
            .join(Warung, Warung.id == FoodOrder.warung_id)
            .where(FoodOrder.status == OrderStatus.DELIVERED, FoodOrder.placed_at >= recent)
            .where(Warung.status == WarungStatus.VERIFIED)
            .scalar_subquery(),
            select(func.count())
            .select_from(DriverProfile)
            .where(DriverProfile.status == DriverStatus.VERIFIED)
            .scalar_subquery(),
        )
    ).one()
    return PublicFigures(months, active, drivers, services)


def _free_medicine(span: Period):
    m = svc.MedicineDelivery
    month = month_of(wib_day(m.created_at))
    return (
        select(month.label("month"), func.count().label("n"))
        .where(m.created_at >= span.start, m.created_at < span.end)
        .where(m.fare_class == svc.FareClass.FREE, m.status == "delivered")
        .group_by(month)
    )


def _months(span: Period) -> list[Month]:
    months, day = [], span.first
    while day <= span.last:
        months.append(Month(day.strftime("%Y-%m")))
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


def month_start(month: str) -> date:
    return date.fromisoformat(f"{month}-01")


def figures_page(data: PublicFigures) -> tuple[charts.Chart, Table]:
    """The public page's chart (handed over per month and service) and its table."""
    labels = [format_date(month_start(m.month), "MMM yyyy") for m in data.months]
    series = [(str(s.label), [m.delivered.get(s.key, 0) for m in data.months]) for s in data.services]
    total = sum(sum(values) for _, values in series)
    chart = charts.columns(
        "figures-deliveries",
        _("Handed over per month"),
        labels,
        series,
        _("%(total)d orders, rides, documents and medicine handed over in the last 12 months.", total=total),
    )
    columns = [Column(_("Month"), "text")]
    columns += [Column(_("%(service)s handed over", service=s.label)) for s in data.services]
    columns += [
        Column(_("%(service)s: median minutes", service=s.label), "minutes") for s in data.services if s.key != "rides"
    ]
    has_medicine = any(s.key == "medicine" for s in data.services)
    if has_medicine:
        columns.append(Column(_("Free medicine deliveries")))
    rows = []
    for label, m in zip(labels, data.months, strict=True):
        row = [label, *(m.delivered.get(s.key, 0) for s in data.services)]
        row += [m.median.get(s.key) for s in data.services if s.key != "rides"]
        if has_medicine:
            row.append(m.free_medicine)
        rows.append(tuple(row))
    table = Table("figures-months", _("Month by month"), columns, rows)
    return chart, table
