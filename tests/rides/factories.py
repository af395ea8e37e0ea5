"""Ride packages, trail drivers with a night of availability, bookings."""

from __future__ import annotations

from datetime import date, datetime, time

import factory

from portal.couriers.contract import Vehicle
from portal.couriers.models import DriverStatus
from portal.extensions import db
from portal.rides import services as rides
from portal.rides.models import DriverAvailability, RidePackage
from tests.couriers.factories import make_driver
from tests.factories import UserFactory


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
    return make_driver(vehicle=vehicle, status=DriverStatus(status), online=False)


def available(driver_user, night: date, *, now: datetime | None = None) -> None:
    """Mark availability straight in the table (bypassing the verified check on purpose)."""
    rides._ensure_night(night)
    db.session.add(DriverAvailability(driver_id=driver_user.id, night=night, created_at=now or rides.utcnow()))
    db.session.flush()


class CustomerFactory(UserFactory):
    locale = "en"
    name = factory.Sequence(lambda n: f"Tourist {n}")
