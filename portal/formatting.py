"""How money, times and phone numbers look to a user: Rp25.000, 14 Des 2026 00.30 WIB."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask_babel import format_date, format_datetime, format_time, get_locale

WIB = ZoneInfo("Asia/Jakarta")


def rupiah(amount: int | None) -> str:
    """Whole rupiah with dots for thousands in both languages, as every Indonesian receipt does."""
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(int(amount)):,}".replace(",", ".")


def to_wib(moment: datetime) -> datetime:
    return moment.astimezone(WIB)


def wib(moment: datetime | None, style: str = "medium") -> str:
    """A UTC moment as Jakarta time, always saying WIB: tourists' phones are often on UTC+8."""
    if moment is None:
        return ""
    return f"{format_datetime(moment, style)} WIB"


def wib_time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return f"{format_time(moment, 'short')} WIB"


# One unambiguous, 24-hour form per language (never 12/5/26 or 6:41 AM): "Sat 5 Dec 2026, 18:41 WIB",
# "Sab, 5 Des 2026, 18.41 WIB" (Indonesian writes hours and minutes with a dot).
WHEN = {"en": "EEE d MMM y, HH:mm", "id": "EEE, d MMM y, HH.mm"}


def wib_when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    locale = str(get_locale() or "id")
    return f"{format_datetime(moment, WHEN.get(locale[:2], WHEN['id']))} WIB"


def long_date(day: date | None) -> str:
    return "" if day is None else format_date(day, "full")


def init_app(app: Flask) -> None:
    app.add_template_filter(rupiah)
    app.add_template_filter(wib)
    app.add_template_filter(wib_time)
    app.add_template_filter(wib_when)
    app.add_template_filter(long_date)
