"""The period the dashboard shows: whole WIB days, chosen with a plain GET form.

`?period=today|7d|30d|month|custom`, with `month=YYYY-MM` for a calendar month and
`start=YYYY-MM-DD&end=YYYY-MM-DD` for a custom range (both ends included). Anything unreadable
falls back to the last 7 days and says so, never an error page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l

from portal.formatting import WIB, day, today_wib

MAX_DAYS = 366
CHOICES = {
    "today": _l("Today"),
    "7d": _l("Last 7 days"),
    "30d": _l("Last 30 days"),
    "month": _l("A month"),
    "custom": _l("Custom range"),
}
DEFAULT = "7d"


@dataclass(frozen=True)
class Period:
    kind: str
    first: date  # WIB days, both included
    last: date
    problem: str = field(default="", compare=False)  # why the asked-for period was not used

    @property
    def start(self) -> datetime:
        """The first moment (aware UTC) of the first day."""
        return datetime.combine(self.first, time(0), WIB).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The first moment after the last day (exclusive bound)."""
        return datetime.combine(self.last + timedelta(days=1), time(0), WIB).astimezone(UTC)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @property
    def month(self) -> str:
        return self.first.strftime("%Y-%m")

    @property
    def label(self) -> str:
        if self.first == self.last:
            return day(self.first)
        return f"{day(self.first)} – {day(self.last)}"

    @staticmethod
    def day_of(moment: datetime) -> date:
        return moment.astimezone(WIB).date()

    def query(self) -> dict[str, str]:
        """The GET parameters that select this period again (links, the CSV download)."""
        if self.kind == "month":
            return {"period": "month", "month": self.month}
        if self.kind == "custom":
            return {"period": "custom", "start": self.first.isoformat(), "end": self.last.isoformat()}
        return {"period": self.kind}


def parse(args: Mapping[str, str], now: datetime | None = None) -> Period:
    today = today_wib(now)
    kind = args.get("period") or DEFAULT
    if kind == "today":
        return Period("today", today, today)
    if kind == "30d":
        return Period("30d", today - timedelta(days=29), today)
    if kind == "month":
        first = _month(args.get("month", "")) or today.replace(day=1)
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        return Period("month", first, following - timedelta(days=1))
    if kind == "custom":
        first, last = _day(args.get("start", "")), _day(args.get("end", ""))
        if first is None or last is None:
            return _default(today, _l("Choose both the first and the last day."))
        if last < first:
            first, last = last, first
        if (last - first).days >= MAX_DAYS:
            return _default(today, _l("A range may cover at most %(days)d days.", days=MAX_DAYS))
        return Period("custom", first, last)
    return _default(today, "" if kind == DEFAULT else _l("Unknown period: showing the last 7 days."))


def _default(today: date, problem: object = "") -> Period:
    return Period(DEFAULT, today - timedelta(days=6), today, str(problem) if problem else "")


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def _month(raw: str) -> date | None:
    try:
        return date.fromisoformat(f"{raw.strip()}-01")
    except ValueError:
        return None
