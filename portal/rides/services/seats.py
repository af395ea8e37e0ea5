"""Seats on a night: every available verified trail driver is one; a booking holds one.

Everything that reads-then-writes seats locks the night's row first (`lock_night`: FOR UPDATE on
PostgreSQL; POST requests and jobs begin IMMEDIATE on SQLite), and a partial unique index keeps a
driver to one ride per night whatever the code does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, and_, func, not_, select
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.couriers.contract import Vehicle
from portal.couriers.models import DriverProfile
from portal.database import utcnow
from portal.extensions import db
from portal.rides.models import (
    BookingStatus,
    DriverAvailability,
    RideBooking,
    RideDeparture,
    RideNight,
    RidePackage,
    WaitlistEntry,
    WaitlistStatus,
)
from portal.workflow import move, moved


def _eligible(stmt: Select, night: date) -> Select:
    """Drivers who can ride that night: available, verified, with a trail bike."""
    return stmt.join(DriverProfile, DriverProfile.user_id == DriverAvailability.driver_id).where(
        DriverAvailability.night == night,
        DriverProfile.status == "verified",
        DriverProfile.vehicle == Vehicle.TRAIL,
    )


def eligible_drivers(night: date) -> Select:
    """The drivers who can ride that night, oldest offer first."""
    return _eligible(select(DriverAvailability.driver_id), night).order_by(
        DriverAvailability.created_at, DriverAvailability.id
    )


def _holding(night: date, now: datetime):
    """Bookings that hold a seat: not released, and not an unpaid hold past its time (lazy expiry)."""
    return and_(
        RideBooking.night == night,
        RideBooking.released_at.is_(None),
        not_(
            and_(
                RideBooking.status == BookingStatus.AWAITING_PAYMENT,
                RideBooking.hold_expires_at.is_not(None),
                RideBooking.hold_expires_at <= now,
            )
        ),
    )


def _held_drivers(night: date, now: datetime) -> Select:
    return select(RideBooking.driver_id).where(_holding(night, now))


def _open_offers(night: date, now: datetime, besides: User | None) -> Select:
    stmt = select(func.count(WaitlistEntry.id)).where(
        WaitlistEntry.night == night,
        WaitlistEntry.status == WaitlistStatus.OFFERED,
        WaitlistEntry.offer_expires_at > now,
    )
    if besides is not None:
        stmt = stmt.where(WaitlistEntry.customer_id != besides.id)
    return stmt


def open_offers(night: date, now: datetime, *, besides: User | None = None) -> int:
    """Waitlist offers still open that night: each keeps a seat for the person it was made to."""
    return db.session.scalar(_open_offers(night, now, besides)) or 0


def free_drivers(night: date, now: datetime) -> list[int]:
    """The drivers a booking could take that night, in the order they offered themselves."""
    held = set(db.session.scalars(_held_drivers(night, now)))
    return [driver_id for driver_id in db.session.scalars(eligible_drivers(night)) if driver_id not in held]


def free_seats(night: date, *, now: datetime | None = None, customer: User | None = None) -> int:
    """Seats `customer` could book now (an open offer to someone else keeps its seat for them).

    One query, whatever the number of drivers and bookings: the busiest page asks it."""
    now = now or utcnow()
    unheld = _eligible(select(func.count(DriverAvailability.id)), night).where(
        DriverAvailability.driver_id.not_in(_held_drivers(night, now))
    )
    free = db.session.scalar(select(unheld.scalar_subquery() - _open_offers(night, now, customer).scalar_subquery()))
    return max(free or 0, 0)


@dataclass(frozen=True, slots=True)
class Departure:
    """One pick-up time on one night, as a tourist sees it."""

    departure: RideDeparture
    night: date
    pickup_at: datetime
    seats: int
    bookable: bool

    @property
    def id(self) -> int:
        return self.departure.id

    @property
    def pickup_date(self) -> date:
        return self.departure.pickup_date(self.night)

    @property
    def next_day(self) -> bool:
        return self.pickup_date != self.night


def departures(
    package: RidePackage, night: date, *, now: datetime | None = None, customer: User | None = None
) -> list[Departure]:
    now = now or utcnow()
    seats = free_seats(night, now=now, customer=customer)
    result = []
    for departure in package.active_departures:
        pickup_at = departure.pickup_at(night)
        result.append(Departure(departure, night, pickup_at, seats, bookable=seats > 0))
    return result


# --- the night row: the lock -----------------------------------------------------------------


def lock_night(night: date) -> RideNight | None:
    return db.session.scalar(select(RideNight).where(RideNight.night == night).with_for_update())


def ensure_night(night: date) -> RideNight:
    row = lock_night(night)
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            db.session.add(RideNight(night=night))
    except IntegrityError:
        pass  # another driver created it a moment ago
    row = lock_night(night)
    assert row is not None
    return row


# --- giving seats back -----------------------------------------------------------------------


@moved.connect_via(RideBooking)
def _release_seat(_sender, *, subject: RideBooking, new: BookingStatus, now: datetime, **_kwargs) -> None:
    """However a booking ends early (hold expired, cancelled, route closed), its driver is free
    again that night: the one-ride-per-night index stops counting it."""
    if new.releases_seat and subject.released_at is None:
        subject.released_at = now


def expire_holds(night: date | None = None, *, now: datetime | None = None) -> list[date]:
    """Unpaid holds past their time give their seat back. Returns the nights that gained a seat."""
    now = now or utcnow()
    stmt = select(RideBooking).where(
        RideBooking.status == BookingStatus.AWAITING_PAYMENT,
        RideBooking.released_at.is_(None),
        RideBooking.hold_expires_at <= now,
    )
    if night is not None:
        stmt = stmt.where(RideBooking.night == night)
    nights = []
    for booking in db.session.scalars(stmt.with_for_update()).all():
        move(booking, BookingStatus.EXPIRED, note="hold expired", now=now)
        nights.append(booking.night)
    db.session.flush()
    return sorted(set(nights))
