"""The MPP's working days: when a verified request is due, and when it is overdue.

KTP-el, KK and KIA are done in one working day once the file is complete. A request verified on
a working day before closing (15:30 WIB) is due by closing time of the next working day; one
verified after closing, on a weekend or on a public holiday starts its day on the next working
day. Weekends and the configured public holidays (DOCUMENTS_HOLIDAYS, ISO dates separated by
commas; the national holidays of 2026 otherwise) are not working days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import current_app

from portal.formatting import WIB

# National holidays and joint leave 2026 (SKB 3 Menteri). Later years: set DOCUMENTS_HOLIDAYS.
NATIONAL_HOLIDAYS_2026 = (
    "2026-01-01,2026-01-16,2026-02-17,2026-03-19,2026-03-20,2026-03-21,2026-03-23,2026-03-24,"
    "2026-04-03,2026-05-01,2026-05-14,2026-05-27,2026-05-31,2026-06-01,2026-06-16,2026-08-17,"
    "2026-08-25,2026-12-24,2026-12-25"
)
CLOSES = time(15, 30)


def holidays() -> frozenset[date]:
    raw = current_app.config.get("DOCUMENTS_HOLIDAYS") or NATIONAL_HOLIDAYS_2026
    if isinstance(raw, str):
        raw = raw.split(",")
    return frozenset(d if isinstance(d, date) else date.fromisoformat(d.strip()) for d in raw if str(d).strip())


def closing_time() -> time:
    raw = current_app.config.get("DOCUMENTS_MPP_CLOSES")
    return time.fromisoformat(raw) if raw else CLOSES


def is_working_day(day: date, days_off: frozenset[date] | None = None) -> bool:
    return day.weekday() < 5 and day not in (holidays() if days_off is None else days_off)


def next_working_day(day: date, days_off: frozenset[date] | None = None) -> date:
    days_off = holidays() if days_off is None else days_off
    day += timedelta(days=1)
    while not is_working_day(day, days_off):
        day += timedelta(days=1)
    return day


def ready_due(verified_at: datetime) -> datetime:
    """When a request verified at `verified_at` must be ready (aware UTC)."""
    days_off, closes = holidays(), closing_time()
    local = verified_at.astimezone(WIB)
    first = local.date()
    if not is_working_day(first, days_off) or local.time() >= closes:
        first = next_working_day(first, days_off)
    due = next_working_day(first, days_off)
    return datetime.combine(due, closes, WIB).astimezone(UTC)


def overdue(status: str, verified_at: datetime | None, now: datetime) -> bool:
    """Verified and not ready by its due time."""
    return status == "verified" and verified_at is not None and now > ready_due(verified_at)
