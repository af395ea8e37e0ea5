"""Which nights can be booked: tonight, the horizon, the evening cut-off, and route closures.

A night is the evening date; until noon WIB it is still the night that began the evening before.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.database import utcnow
from portal.extensions import db
from portal.formatting import WIB, clock, night_date
from portal.rides.models import RouteClosure
from portal.rides.services.errors import Lazy, Localized, RideError


def hold_minutes() -> int:
    return int(current_app.config.get("RIDES_HOLD_MINUTES", 10))


def offer_minutes() -> int:
    return int(current_app.config.get("RIDES_OFFER_MINUTES", 30))


def max_days_ahead() -> int:
    return int(current_app.config.get("RIDES_MAX_DAYS_AHEAD", 90))


def cutoff_time() -> time:
    return time.fromisoformat(str(current_app.config.get("RIDES_BOOKING_CUTOFF", "20:00")))


def cutoff_at(night: date) -> datetime:
    """Bookings for a night close on that evening (WIB), hours before the first pick-up."""
    return datetime.combine(night, cutoff_time(), tzinfo=WIB)


def tonight(now: datetime | None = None) -> date:
    """The night it is now: until noon WIB it is still the night that began the evening before."""
    local = (now or utcnow()).astimezone(WIB)
    return local.date() - timedelta(days=1) if local.hour < 12 else local.date()


def next_bookable_night(now: datetime | None = None) -> date:
    now = now or utcnow()
    night = tonight(now)
    return night if now < cutoff_at(night) else night + timedelta(days=1)


def parse_night(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def sms_time(moment: datetime) -> Lazy:
    """A WIB time of day written as the reader's language does (00:30 / 00.30), when rendered."""
    return Lazy(lambda: clock(moment.astimezone(WIB).time()))


def night_label(night: date) -> Lazy:
    return Lazy(lambda: _("night of %(date)s", date=night_date(night)))


def check_night(night: date, *, now: datetime, closures: list[RouteClosure] | None = None) -> None:
    """Refuse nights that cannot be booked: past, beyond the horizon, after the cut-off, closed.

    `closures`: `current_closures(now)` when the caller has read them already (one query less)."""
    first = tonight(now)
    if night < first:
        raise RideError(_l("That night has already passed. Choose a coming night."))
    if night > first + timedelta(days=max_days_ahead()):
        raise RideError(_l("Rides can be booked at most %(days)d days ahead.", days=max_days_ahead()))
    if now >= cutoff_at(night):
        raise RideError(
            _l(
                "Bookings for the %(night)s closed at %(time)s WIB that evening. Choose a later night.",
                night=night_label(night),
                time=Lazy(lambda: clock(cutoff_time())),
            )
        )
    closure = closure_for(night, among=closures)
    if closure is not None:
        raise RideError(
            _l(
                "The Ijen route is closed that night: %(reason)s",
                reason=Localized(closure.reason_en, closure.reason_id),
            )
        )


def closure_for(night: date, *, among: list[RouteClosure] | None = None) -> RouteClosure | None:
    """The closure (the oldest, if several) that covers `night`. `among`: `current_closures()`
    already read, for a night from tonight on: every closure that can cover it is in that list."""
    if among is not None:
        return min((c for c in among if c.covers(night)), key=lambda c: c.id, default=None)
    return db.session.scalar(
        select(RouteClosure)
        .where(RouteClosure.lifted_at.is_(None), RouteClosure.first_night <= night, RouteClosure.last_night >= night)
        .order_by(RouteClosure.id)
        .limit(1)
    )


def current_closures(now: datetime | None = None) -> list[RouteClosure]:
    return list(
        db.session.scalars(
            select(RouteClosure)
            .where(RouteClosure.lifted_at.is_(None), RouteClosure.last_night >= tonight(now))
            .order_by(RouteClosure.first_night)
        )
    )
