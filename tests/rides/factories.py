"""Ride packages, trail drivers with a night of availability, bookings."""

from __future__ import annotations

from datetime import date, datetime, time

import factory

from portal.couriers.contract import Vehicle
from portal.couriers.models import DriverStatus
from portal.database import utcnow
from portal.extensions import db
from portal.payments import services as payments
from portal.rides import services as rides
from portal.rides.models import BookingStatus, DriverAvailability, RidePackage
from tests.couriers.factories import make_driver
from tests.factories import UserFactory
from tests.payments.helpers import card_token


def package(
    slug: str = "blue-fire", *, price: int = 350_000, times=(time(0, 30), time(1, 0), time(1, 30))
) -> RidePackage:
    return rides.save_package(
        None,
        departures=list(times),
        slug=slug,
        name_en="Blue fire" if slug == "blue-fire" else slug.title(),
        name_id="Api biru" if slug == "blue-fire" else slug.title(),
        summary_en="Blue flames before dawn.",
        summary_id="Api biru sebelum subuh.",
        included_en="Helmet\nGas mask",
        included_id="Helm\nMasker gas",
        languages="id,en",
        price=price,
        return_time=time(7, 0),
        active=True,
    )


def driver(*, vehicle: Vehicle = Vehicle.TRAIL, status: str = "verified"):
    """A user with the driver role and a driver profile (verified, trail bike unless told)."""
    user = make_driver(vehicle=vehicle, status=DriverStatus(status), online=False)
    user.locale = "en"  # the tests read the driver's messages in English
    return user


def available(driver_user, night: date, *, now: datetime | None = None) -> None:
    """Mark availability straight in the table (bypassing the verified check on purpose)."""
    rides.ensure_night(night)
    db.session.add(DriverAvailability(driver_id=driver_user.id, night=night, created_at=now or utcnow()))
    db.session.flush()


class CustomerFactory(UserFactory):
    locale = "en"
    name = factory.Sequence(lambda n: f"Tourist {n}")


def book(
    customer,
    package: RidePackage,
    night: date,
    *,
    departure: int = 0,
    address: str = "Homestay Kemiren, Glagah",
    token: str | None = None,
    now: datetime | None = None,
):
    """A seat held through the real booking service, on the package's first departure unless told."""
    return rides.book_ride(
        customer,
        package=package,
        departure=package.active_departures[departure],
        night=night,
        pickup_address=address,
        token=token or f"t-{customer.id}-{night}-{departure}",
        now=now,
    )


def pay(app, booking, *, now: datetime | None = None):
    """The tourist pays the hold by card, through the real payments service and localstripe."""
    if rides.payment_of(booking) is None:
        rides.start_payment(booking)
    payment = rides.payment_of(booking)
    payments.confirm_card(payment, card_token(app), now=now)
    db.session.flush()
    return payment


def paid_booking(app, package: RidePackage, night: date, *, customer=None, driver_user=None, token=None):
    """A confirmed ride: a driver free that night (a new one unless given), a hold, paid by card."""
    driver_user = driver_user or driver()
    available(driver_user, night)
    booking = book(customer or CustomerFactory(), package, night, token=token)
    db.session.commit()
    pay(app, booking)
    db.session.commit()
    assert booking.state == BookingStatus.CONFIRMED
    return booking
