"""What a warung's card in a list says: open or when it opens, its rating, the delivery fee and
time, and how far it is. Built for a page of warungs at once (at most one query, whatever the page)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.couriers.fare import eta_minutes, fare_for, haversine_km
from portal.database import utcnow
from portal.extensions import db
from portal.food.models import Warung
from portal.formatting import WIB, to_wib

# The kitchen's share of the delivery time a card promises (the courier's ride comes on top).
COOKING_MINUTES = 15


@dataclass(frozen=True, slots=True)
class Opening:
    """When a closed warung opens next, in WIB: `days` from today (0 today, 1 tomorrow)."""

    days: int
    at: datetime  # aware, WIB: show it with the wib_time / short_day filters


@dataclass(frozen=True, slots=True)
class WarungCard:
    warung: Warung
    open_now: bool
    km: float | None = None  # from the visitor's location, when they shared it
    rating: float | None = None  # the mean of its customers' stars, None before the first
    ratings: int = 0
    fee: int | None = None  # the delivery fee to the visitor's location
    fee_from: int = 0  # the least any delivery costs (no location)
    minutes: tuple[int, int] | None = None  # delivery time, a range
    opens: Opening | None = None  # when it is closed: when it opens next


def next_opening(warung: Warung, now: datetime | None = None) -> Opening | None:
    """The next start of an opening period after `now` (within a week), skipping a day the
    owner closed; None when the warung keeps no hours."""
    local = to_wib(now or utcnow())
    minute = local.hour * 60 + local.minute
    for days in range(8):
        day = local.date() + timedelta(days=days)
        if warung.closed_on == day:
            continue
        starts = sorted(p.opens for p in warung.periods if p.weekday == day.weekday())
        later = [m for m in starts if days > 0 or m > minute]
        if later:
            at = datetime.combine(day, time(later[0] // 60, later[0] % 60), tzinfo=WIB)
            return Opening(days=days, at=at)
    return None


def warung_cards(
    rows: Iterable[tuple[Warung, bool]],
    *,
    lat: float | None = None,
    lng: float | None = None,
    now: datetime | None = None,
) -> list[WarungCard]:
    """Cards for (warung, open now) rows, e.g. a page of search_warungs(). The ratings come with
    the warungs (their counters); the hours of the closed ones (for "opens at") in one query."""
    rows = list(rows)
    closed = [warung.id for warung, open_now in rows if not open_now]
    if closed:  # "opens at 10:00" needs their hours; an open warung's card does not
        db.session.scalars(select(Warung).where(Warung.id.in_(closed)).options(selectinload(Warung.periods))).all()
    cards = []
    for warung, open_now in rows:
        km = fee = minutes = None
        if lat is not None and lng is not None:
            km = round(haversine_km(lat, lng, warung.lat, warung.lng), 1)
            fee = fare_for(km)
            ride = eta_minutes(km)
            minutes = (COOKING_MINUTES + ride, COOKING_MINUTES + ride + 10)
        cards.append(
            WarungCard(
                warung=warung,
                open_now=bool(open_now),
                km=km,
                rating=warung.rating,
                ratings=warung.rating_count,
                fee=fee,
                fee_from=fare_for(0),
                minutes=minutes,
                opens=None if open_now else next_opening(warung, now),
            )
        )
    return cards


def cards_stamp() -> list:
    """Columns (of one aggregate over the warungs) that change whenever any warung's card could: a changed
    warung row, its hours or a dish (what a search matches) give it a new `menu_version`
    (portal.food.models), a rating adds to `rating_count`, and a listed or removed warung changes
    the count or the highest id. A cached list (/warungs) is keyed on them and on the minute
    (open now, "opens at")."""
    stamp = select(
        func.count(Warung.id).label("warungs"),
        func.max(Warung.id).label("newest"),
        func.coalesce(func.sum(Warung.menu_version), 0).label("edits"),
        func.coalesce(func.sum(Warung.rating_count), 0).label("ratings"),
    ).subquery("warung_stamp")  # one pass over the warungs, however many columns
    return list(stamp.c)
