"""Template filters for ride times and the languages drivers speak."""

from __future__ import annotations

from datetime import datetime

from portal.formatting import WIB, clock, long_date
from portal.rides import bp

# Language names as their speakers write them (a tourist reads "Basa Jawa", not "JV").
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English", "jv": "Basa Jawa", "osing": "Basa Using", "md": "Madura"}


@bp.app_template_filter("hm_wib")
def hm_wib(moment: datetime | None) -> str:
    """00:30 WIB / 00.30 WIB: ride times in 24-hour form for everyone (12:30 AM invites a wrong night)."""
    return "" if moment is None else f"{clock(moment.astimezone(WIB).time())} WIB"


@bp.app_template_filter("pickup_wib")
def pickup_wib(moment: datetime | None) -> str:
    """Friday, 27 November 2026, 00:30 WIB: the date the pick-up really falls on, and the time."""
    return "" if moment is None else f"{long_date(moment.astimezone(WIB).date())}, {hm_wib(moment)}"


@bp.app_template_filter("languages")
def languages(codes: str | list[str] | None) -> str:
    if isinstance(codes, str):
        codes = codes.split(",")
    return ", ".join(LANGUAGE_NAMES.get(c.strip().lower(), c.strip()) for c in codes or [] if c.strip())
