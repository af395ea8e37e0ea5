"""Drivers on the Ijen route: the nights they offer, and the steps of the rides they drive.

A ride's steps and its courier delivery move together, whichever side the driver presses.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import notify
from portal.accounts.models import User
from portal.couriers import services as couriers
from portal.couriers.contract import Purpose, Vehicle
from portal.couriers.models import DeliveryStatus, DriverProfile
from portal.couriers.signals import delivery_changed
from portal.database import utcnow
from portal.extensions import db
from portal.rides.models import BookingStatus, DriverAvailability, RideBooking
from portal.rides.services.bookings import booking_path, delivery_of
from portal.rides.services.calendar import closure_for, max_days_ahead, tonight
from portal.rides.services.errors import RideError
from portal.rides.services.seats import ensure_night, lock_night
from portal.rides.services.waitlist import refresh_offers
from portal.workflow import move


def trail_profile(user: User) -> DriverProfile | None:
    """The user's verified trail-bike profile, or None: only they may ride to Ijen."""
    profile = couriers.verified_driver(user)
    return profile if profile is not None and profile.vehicle == Vehicle.TRAIL else None


def require_trail_driver(user: User) -> DriverProfile:
    profile = couriers.verified_driver(user)
    if profile is None:
        raise RideError(
            _l(
                "Only verified drivers can offer Ijen rides. Register as a driver and wait for the regency to verify you."
            )
        )
    if profile.vehicle != Vehicle.TRAIL:
        raise RideError(_l("Ijen rides need a trail bike. Your verified vehicle is not a trail bike."))
    return profile


def availability(driver: User, nights: list[date]) -> set[date]:
    if not nights:
        return set()
    return set(
        db.session.scalars(
            select(DriverAvailability.night).where(
                DriverAvailability.driver_id == driver.id,
                DriverAvailability.night >= nights[0],
                DriverAvailability.night <= nights[-1],
            )
        )
    )


def booked_nights(driver: User, nights: list[date], *, now: datetime | None = None) -> dict[date, RideBooking]:
    if not nights:
        return {}
    now = now or utcnow()
    bookings = db.session.scalars(
        select(RideBooking).where(
            RideBooking.driver_id == driver.id,
            RideBooking.night >= nights[0],
            RideBooking.night <= nights[-1],
            RideBooking.released_at.is_(None),
        )
    )
    return {b.night: b for b in bookings if not b.hold_expired(now)}


def set_availability(driver: User, night: date, available: bool, *, now: datetime | None = None) -> bool:
    """The driver offers (or withdraws) themselves for a night. Returns whether anything changed."""
    now = now or utcnow()
    require_trail_driver(driver)
    first = tonight(now)
    if night < first:
        raise RideError(_l("That night has already passed."))
    if night > first + timedelta(days=max_days_ahead()):
        raise RideError(_l("You can plan at most %(days)d days ahead.", days=max_days_ahead()))
    row = db.session.scalar(
        select(DriverAvailability).where(DriverAvailability.driver_id == driver.id, DriverAvailability.night == night)
    )
    if available:
        if closure_for(night) is not None:
            raise RideError(_l("The Ijen route is closed that night."))
        ensure_night(night)
        if row is not None:
            return False
        db.session.add(DriverAvailability(driver_id=driver.id, night=night, created_at=now))
        db.session.flush()
        refresh_offers(night, now=now)
        return True
    if row is None:
        return False
    lock_night(night)
    if night in booked_nights(driver, [night], now=now):
        raise RideError(_l("You have a ride booked that night. Ask the admin if you cannot make it."))
    db.session.delete(row)
    db.session.flush()
    return True


def driver_rides(driver: User, *, now: datetime | None = None) -> list[RideBooking]:
    """The driver's confirmed rides from tonight on, soonest first."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(RideBooking)
            .where(
                RideBooking.driver_id == driver.id,
                RideBooking.night >= tonight(now),
                RideBooking.status.in_(
                    [BookingStatus.CONFIRMED, BookingStatus.DRIVER_ON_THE_WAY, BookingStatus.RIDING]
                ),
            )
            .order_by(RideBooking.pickup_at)
        )
    )


# The driver's buttons, and the courier moves each one drives on the booking's delivery.
DRIVER_MOVES: dict[BookingStatus, tuple[DeliveryStatus, ...]] = {
    BookingStatus.DRIVER_ON_THE_WAY: (DeliveryStatus.PICKING_UP,),
    BookingStatus.RIDING: (DeliveryStatus.PICKED_UP, DeliveryStatus.DELIVERING),
    BookingStatus.COMPLETED: (DeliveryStatus.DELIVERED,),
    BookingStatus.NO_SHOW: (DeliveryStatus.FAILED,),
}
EARLIEST_START = timedelta(hours=3)


def driver_move(booking: RideBooking, to: BookingStatus, *, by: User, now: datetime | None = None) -> None:
    now = now or utcnow()
    if booking.driver_id != by.id or booking.state == BookingStatus.AWAITING_PAYMENT:
        raise RideError(_l("This is not your ride."))
    if to not in DRIVER_MOVES:
        raise RideError(_l("That is not a step of a ride."))
    if to == BookingStatus.DRIVER_ON_THE_WAY and now < booking.pickup_at - EARLIEST_START:
        raise RideError(_l("Too early: set off at most 3 hours before the pick-up."))
    if to == BookingStatus.NO_SHOW and now < booking.pickup_at:
        raise RideError(_l("Wait until the pick-up time before reporting a no-show."))
    move(booking, to, by=by, note="driver", now=now)
    delivery = delivery_of(booking)
    if delivery is not None:
        for status in DRIVER_MOVES[to]:
            if DeliveryStatus(delivery.status) != status:
                couriers.mark(
                    delivery, status, by=by, note="ride" if to != BookingStatus.NO_SHOW else "no-show", now=now
                )
    if to == BookingStatus.DRIVER_ON_THE_WAY:
        notify.send(
            _l("Gancang: %(driver)s is on the way to pick you up for Ijen.", driver=by.name),
            user=booking.customer,
            url=booking_path(booking),
        )
    db.session.flush()


# A driver may also move the ride from the courier workspace: the booking follows its delivery.
FOLLOWS_DELIVERY: dict[DeliveryStatus, BookingStatus] = {
    DeliveryStatus.PICKING_UP: BookingStatus.DRIVER_ON_THE_WAY,
    DeliveryStatus.PICKED_UP: BookingStatus.RIDING,
    DeliveryStatus.DELIVERING: BookingStatus.RIDING,
    DeliveryStatus.DELIVERED: BookingStatus.COMPLETED,
    DeliveryStatus.FAILED: BookingStatus.NO_SHOW,
}


@delivery_changed.connect
def _on_delivery_changed(delivery, *, old=None, new=None, **_kwargs) -> None:
    if delivery.purpose != Purpose.RIDE or new is None:
        return
    target = FOLLOWS_DELIVERY.get(DeliveryStatus(new))
    booking = db.session.get(RideBooking, delivery.origin_id)
    if target is None or booking is None or booking.state == target:
        return
    if booking.state.can_become(target):
        move(booking, target, note="courier workspace")
