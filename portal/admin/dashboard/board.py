"""The dashboard laid out: one section per service (and the couriers), each a list of charts and
the tables with the same figures. The CSV download is every table of every section."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.admin.dashboard import charts, promotions, queries
from portal.admin.dashboard import services as svc
from portal.admin.dashboard.period import Period
from portal.admin.dashboard.queries import Figures
from portal.admin.dashboard.tables import Column, Table
from portal.database import utcnow
from portal.food.models import WarungStatus
from portal.formatting import rupiah
from portal.payments.models import PaymentMethod


@dataclass
class Section:
    key: str
    title: Any
    note: str = ""  # the empty state, or what this section cannot show
    charts: list[tuple[list[charts.Chart], Table]] = field(default_factory=list)  # charts beside their table
    tables: list[Table] = field(default_factory=list)  # tables without a chart

    @property
    def all_tables(self) -> list[Table]:
        return [t for _, t in self.charts] + self.tables


@dataclass
class Board:
    period: Period
    sections: list[Section]
    hospital: str | None = None  # set when a hospital's director sees only its medicine

    @property
    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.all_tables]


def _day(d: date) -> str:
    return format_date(d, "d MMM")


def build(
    period: Period, *, warung_sort: str = "sales", hospital_id: int | None = None, hospital: str | None = None
) -> Board:
    services = [svc.MEDICINE] if hospital_id else [s for s in svc.SERVICES if s.installed]
    figures = queries.overview(period, services, hospital_id)
    sections: list[Section] = []
    if not hospital_id:
        sections.append(_overview(period, figures))
    for service in svc.SERVICES:
        if hospital_id and service is not svc.MEDICINE:
            continue
        section = _service(period, service, figures.get(service.key))
        if service is svc.FOOD:
            _food(period, section, warung_sort)
        elif service is svc.RIDES:
            _rides(period, section)
        elif service is svc.MEDICINE and service.installed:
            _medicine(period, section, hospital_id)
        sections.append(section)
    if not hospital_id:
        sections.append(_couriers(period))
        tables, note = promotions.tables(period, utcnow())
        sections.append(Section("promotions", promotions.TITLE, note=note, tables=tables))
    return Board(period, sections, hospital)


def _overview(period: Period, figures: dict[str, Figures]) -> Section:
    section = Section("overview", _l("All services"))
    rows = []
    for f in figures.values():
        o = f.outcomes
        rows.append(
            (str(f.service.label), f.total, o[svc.DELIVERED], o[svc.FAILED], o[svc.CANCELLED], o[svc.OPEN], f.refunded)
        )
    table = Table(
        "overview",
        _l("Requests and how they ended"),
        [
            Column(_l("Service"), "text"),
            Column(_l("Requests")),
            Column(svc.OUTCOME_LABELS[svc.DELIVERED]),
            Column(svc.OUTCOME_LABELS[svc.FAILED]),
            Column(svc.OUTCOME_LABELS[svc.CANCELLED]),
            Column(svc.OUTCOME_LABELS[svc.OPEN]),
            Column(_l("Refunded payments")),
        ],
        rows,
    )
    total = sum(f.total for f in figures.values())
    chart = charts.bars(
        "overview-chart",
        _l("Requests per service"),
        [r[0] for r in rows],
        [r[1] for r in rows],
        _("%(total)d requests in all services, %(period)s.", total=total, period=period.label),
    )
    section.charts.append(([chart], table))
    money = Table(
        "money",
        _l("Money"),
        [
            Column(_l("Service"), "text"),
            Column(_l("Card"), "money"),
            Column(_l("Cash"), "money"),
            Column(_l("Subsidy paid"), "money"),
            Column(_l("Refunds"), "money"),
        ],
        [
            (str(f.service.label), f.paid[PaymentMethod.CARD], f.paid[PaymentMethod.CASH], f.subsidy, f.refunds)
            for f in figures.values()
        ],
    )
    section.tables.append(money)
    return section


def _service(period: Period, service: svc.Service, f: Figures | None) -> Section:
    section = Section(service.key, service.label)
    if f is None:
        section.note = _("Gancang Aron is not part of this portal yet: nothing to show.")
        return section
    if not f.total:
        section.note = _("No %(unit)s in this period.", unit=service.unit)
    days = period.days
    labels = [_day(d) for d in days]
    per_day = [f.per_day.get(d, 0) for d in days]
    busiest = max(days, key=lambda d: f.per_day.get(d, 0))
    summary = (
        _(
            "%(total)d %(unit)s, %(period)s; the busiest day was %(day)s with %(n)d.",
            total=f.total,
            unit=service.unit,
            period=period.label,
            day=_day(busiest),
            n=f.per_day.get(busiest, 0),
        )
        if f.total
        else _("No %(unit)s in this period.", unit=service.unit)
    )
    volume_title = _l("Ride bookings per night") if service is svc.RIDES else _l("Requests per day")
    volume = charts.columns(f"{service.key}-volume", volume_title, labels, [(str(service.unit), per_day)], summary)
    timed = service is not svc.RIDES
    columns = [Column(_l("Night") if service is svc.RIDES else _l("Day (WIB)"), "day"), Column(_l("Requests"))]
    if timed:
        columns += [
            Column(_l("Handed over")),
            Column(_l("Median minutes to handover"), "minutes"),
            Column(_l("90th percentile minutes"), "minutes"),
        ]
    rows = []
    for d in days:
        row: tuple = (d, f.per_day.get(d, 0))
        if timed:
            t = f.times.get(d)
            row += (t.n, t.median, t.p90) if t else (0, None, None)
        rows.append(row)
    rows.append((_("Total"), f.total, *((sum(t.n for t in f.times.values()), None, None) if timed else ())))
    drawn = [volume]
    if timed:
        medians = [f.times[d].median if d in f.times else None for d in days]
        p90s = [f.times[d].p90 if d in f.times else None for d in days]
        done = [t.median for t in f.times.values()]
        times_summary = (
            _(
                "From request to handover: the daily median ranged from %(low).0f to %(high).0f minutes.",
                low=min(done),
                high=max(done),
            )
            if done
            else _("Nothing was handed over in this period.")
        )
        times = charts.columns(
            f"{service.key}-times",
            _l("Minutes from request to handover"),
            labels,
            [(_("median"), medians), (_("90th percentile"), p90s)],
            times_summary,
        )
        drawn.append(times)
    section.charts.append((drawn, Table(f"{service.key}-per-day", volume_title, columns, rows)))
    o = f.outcomes
    section.tables.append(
        Table(
            f"{service.key}-outcomes",
            _l("How requests ended"),
            [Column(_l("Outcome"), "text"), Column(_l("Requests"))],
            [(str(svc.OUTCOME_LABELS[k]), o[k]) for k in svc.OUTCOME_LABELS] + [(_("Refunded payments"), f.refunded)],
        )
    )
    section.tables.append(
        Table(
            f"{service.key}-money",
            _l("Money"),
            [Column(_l("Paid by"), "text"), Column(_l("Amount"), "money")],
            [(str(m.label), f.paid[m]) for m in PaymentMethod] + [(_("Refunds"), f.refunds)],
        )
    )
    return section


SORT_COLUMNS = [
    Column(_l("Warung"), "text", "name"),
    Column(_l("Orders"), "int", "orders"),
    Column(_l("Delivered"), "int", "delivered"),
    Column(_l("Sales"), "money", "sales"),
    Column(_l("Average delivered order"), "money", "average"),
]


def _food(period: Period, section: Section, sort: str) -> None:
    sales = queries.warung_sales(period)
    top = [w for w in sales if w.sales][:10]
    summary = (
        _("%(name)s sold the most: %(amount)s.", name=top[0].name, amount=rupiah(top[0].sales))
        if top
        else _("No warung delivered an order in this period.")
    )
    chart = charts.bars(
        "food-top", _l("Top 10 warungs by sales"), [w.name for w in top], [w.sales for w in top], summary, fmt=rupiah
    )
    section.charts.append(
        (
            [chart],
            Table(
                "food-top-table",
                _l("Top 10 warungs by sales"),
                [Column(_l("Warung"), "text"), Column(_l("Sales"), "money")],
                [(w.name, w.sales) for w in top],
            ),
        )
    )
    sort = sort if sort in queries.WARUNG_SORTS else "sales"
    section.tables.append(
        Table(
            "food-warungs",
            _l("Warungs with orders"),
            SORT_COLUMNS,
            [(w.name, w.orders, w.delivered, w.sales, w.average) for w in queries.sort_warungs(sales, sort)],
            empty=_l("No orders in this period."),
            sort=sort,
        )
    )
    section.tables.append(
        Table(
            "food-new-warungs",
            _l("New warungs"),
            [Column(_l("Warung"), "text"), Column(_l("Status"), "text"), Column(_l("Signed up"), "day")],
            [(name, WarungStatus(status).label, day) for name, status, day in queries.new_warungs(period)],
            empty=_l("No warung signed up in this period."),
        )
    )
    section.tables.append(
        Table(
            "food-sold-out",
            _l("Dishes sold out most often"),
            [Column(_l("Dish"), "text"), Column(_l("Days sold out"))],
            [],
            empty=_l("Not recorded yet: a dish keeps only today's sold-out switch, not its history."),
        )
    )


def _rides(period: Period, section: Section) -> None:
    nights = period.days
    seats = queries.seats(period)
    offered = [seats.get(n, (0, 0))[0] for n in nights]
    sold = [seats.get(n, (0, 0))[1] for n in nights]
    summary = (
        _("%(sold)d of %(offered)d seats offered were sold.", sold=sum(sold), offered=sum(offered))
        if sum(offered) or sum(sold)
        else _("No driver offered a seat in this period.")
    )
    chart = charts.columns(
        "rides-seats",
        _l("Seats per night: offered and sold"),
        [_day(n) for n in nights],
        [(_("offered"), offered), (_("sold"), sold)],
        summary,
    )
    rows = [(n, o, s, (100 * s / o) if o else None) for n, o, s in zip(nights, offered, sold, strict=True)]
    section.charts.append(
        (
            [chart],
            Table(
                "rides-seats-table",
                _l("Seats per night: offered and sold"),
                [
                    Column(_l("Night"), "day"),
                    Column(_l("Seats offered")),
                    Column(_l("Seats sold")),
                    Column(_l("Sold"), "pct"),
                ],
                rows,
            ),
        )
    )
    section.tables.append(
        Table(
            "rides-closures",
            _l("Route closures"),
            [Column(_l("First night"), "day"), Column(_l("Last night"), "day"), Column(_l("Reason"), "text")],
            [(c.first_night, c.last_night, c.reason) for c in queries.closures(period)],
            empty=_l("The route was open every night of this period."),
        )
    )


def _medicine(period: Period, section: Section, hospital_id: int | None) -> None:
    section.tables.append(
        Table(
            "medicine-hospitals",
            _l("Minutes from registration to handover, per hospital and day"),
            [
                Column(_l("Hospital"), "text"),
                Column(_l("Day (WIB)"), "day"),
                Column(_l("Handed over")),
                Column(_l("Median minutes"), "minutes"),
                Column(_l("90th percentile minutes"), "minutes"),
            ],
            [
                (name, day if day is not None else _("Whole period"), t.n, t.median, t.p90)
                for name, day, t in queries.medicine_hospitals(period, hospital_id)
            ],
            empty=_l("Nothing was handed over in this period."),
        )
    )


def _couriers(period: Period) -> Section:
    section = Section("couriers", _l("Couriers"))
    drivers = queries.per_driver(period)
    summary = (
        _(
            "%(n)d local drivers delivered in this period; %(name)s delivered the most (%(count)d).",
            n=len(drivers),
            name=drivers[0][0],
            count=drivers[0][1],
        )
        if drivers
        else _("No local driver delivered in this period.")
    )
    chart = charts.bars(
        "couriers-drivers", _l("Deliveries per local driver"), [d[0] for d in drivers], [d[1] for d in drivers], summary
    )
    section.charts.append(
        (
            [chart],
            Table(
                "couriers-drivers-table",
                _l("Deliveries per local driver"),
                [Column(_l("Driver"), "text"), Column(_l("Delivered"))],
                drivers,
                empty=_l("No local driver delivered in this period."),
            ),
        )
    )
    shares = queries.providers(period)
    jobs = sum(p.jobs for p in shares) or 1
    section.tables.append(
        Table(
            "couriers-providers",
            _l("Local fleet and GoSend"),
            [
                Column(_l("Provider"), "text"),
                Column(_l("Jobs")),
                Column(_l("Share"), "pct"),
                Column(_l("Delivered")),
                Column(_l("Taken over after another provider failed")),
            ],
            [(_provider(p.provider), p.jobs, 100 * p.jobs / jobs, p.delivered, p.fallbacks) for p in shares],
            empty=_l("No delivery jobs in this period."),
        )
    )
    return section


PROVIDERS = {"local": _l("Local fleet"), "gosend": "GoSend", "–": _l("Not booked yet")}


def _provider(name: str) -> str:
    return str(PROVIDERS.get(name, name))
