"""How money, times and phone numbers look to a user: Rp25.000, 14 Des 2026 00.30 WIB."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import phonenumbers
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


def today_wib(now: datetime | None = None) -> date:
    """Today's date in Banyuwangi: a day, a sold-out dish, a collection and the dashboard's
    "today" are WIB days (UTC's date is yesterday until 07:00 WIB)."""
    return to_wib(now or datetime.now(UTC)).date()


# One unambiguous, 24-hour form per language, everywhere a moment is shown (never 12/5/26 or
# 6:41 AM, which read as 12 May or as the morning): "Sat 5 Dec 2026, 18:41 WIB" and
# "Sab, 5 Des 2026, 18.41 WIB" (Indonesian writes hours and minutes with a dot).
# A night is named by the evening it starts: "the night of Thursday 10 December" in English;
# in Indonesian "Kamis malam, 10 Desember", never "malam Kamis" (which everyday speech puts on
# Wednesday evening).
PATTERNS = {
    "en": {
        "when": "EEE d MMM y, HH:mm",
        "time": "HH:mm",
        "day": "EEE d MMM y",
        "short_day": "EEE d MMM",
        "long_day": "EEEE d MMMM y",
        "night": "EEEE d MMMM y",
        "short_night": "EEE d MMM",
    },
    "id": {
        "when": "EEE, d MMM y, HH.mm",
        "time": "HH.mm",
        "day": "EEE, d MMM y",
        "short_day": "EEE, d MMM",
        "long_day": "EEEE, d MMMM y",
        "night": "EEEE 'malam', d MMMM y",
        "short_night": "EEEE 'malam', d MMM",
    },
}


def _pattern(kind: str) -> str:
    language = str(get_locale() or "id")[:2]
    return PATTERNS.get(language, PATTERNS["id"])[kind]


def wib(moment: datetime | None) -> str:
    """A UTC moment as Jakarta time, always saying WIB: tourists' phones are often on UTC+8."""
    if moment is None:
        return ""
    return f"{format_datetime(moment, _pattern('when'))} WIB"


class LazyWib:
    """`wib(moment)` formatted when the message is rendered, in the reader's language."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __str__(self) -> str:
        return wib(self.moment)


def wib_time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return f"{format_time(moment, _pattern('time'))} WIB"


def short_day(day: date | None) -> str:
    """ "Sat 12 Dec" / "Sab, 12 Des": a night or a due day in a sentence, without the year."""
    return "" if day is None else format_date(day, _pattern("short_day"))


def long_date(day: date | None) -> str:
    """ "Thursday 10 December 2026" / "Kamis, 10 Desember 2026" (never "December 10, 2026")."""
    return "" if day is None else format_date(day, _pattern("long_day"))


def day(value: date | None) -> str:
    """ "Thu 10 Dec 2026" / "Kam, 10 Des 2026": a date in a table or a list."""
    return "" if value is None else format_date(value, _pattern("day"))


def night_date(night: date | None, short: bool = False) -> str:
    """A night by its evening, for "the night of %(date)s" (English) or on its own (Indonesian:
    "Kamis malam, 10 Des"; the catalogue drops its own "malam" before it)."""
    return "" if night is None else format_date(night, _pattern("short_night" if short else "night"))


def clock(moment: time | None) -> str:
    """A time of day as this language writes it: 00:30 / 00.30."""
    if moment is None:
        return ""
    return moment.strftime("%H.%M" if str(get_locale() or "id")[:2] == "id" else "%H:%M")


def _parsed_phone(value: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse((value or "").strip(), "ID")
    except phonenumbers.NumberParseException:
        return None


def phone(value: str | None) -> str:
    """A stored number (E.164, +6281123456789) as Indonesians write it: 0811-2345-6789, a
    landline (0333) 421118; a foreign number keeps its country code (+1 415-555-2671)."""
    number = _parsed_phone(value)
    if number is None:
        return value or ""
    if number.country_code == 62:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def tel(value: str | None) -> str:
    """The number for a `tel:` link: E.164 (+62…), which dials from any phone, roaming or not."""
    number = _parsed_phone(value)
    if number is None:
        return value or ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def init_app(app: Flask) -> None:
    app.add_template_filter(rupiah)
    app.add_template_filter(wib)
    app.add_template_filter(wib_time)
    app.add_template_filter(long_date)
    app.add_template_filter(short_day)
    app.add_template_filter(day)
    app.add_template_filter(night_date)
    app.add_template_filter(clock)
    app.add_template_filter(phone)
    app.add_template_filter(tel)
