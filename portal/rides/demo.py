"""Demo ride packages, and availability for the coming nights for the demo trail drivers."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from portal.accounts.models import User
from portal.extensions import db
from portal.rides import services
from portal.rides.models import DriverAvailability, RidePackage

NIGHTS = 21

PACKAGES = [
    {
        "slug": "blue-fire",
        "name_en": "Blue fire",
        "name_id": "Api biru (blue fire)",
        "summary_en": "See Ijen's blue flames before dawn. Your driver picks you up at night, rides up to Paltuding on a trail bike, waits while you hike (about 3 km) and brings you back.",
        "summary_id": "Melihat api biru Ijen sebelum subuh. Driver menjemput Anda malam hari, naik ke Paltuding dengan motor trail, menunggu selama Anda mendaki (sekitar 3 km) dan mengantar pulang.",
        "included_en": "Pick-up at your homestay and return\nHelmet and rain poncho\nGas mask for the crater\nHead torch",
        "included_id": "Jemput di homestay dan antar pulang\nHelm dan jas hujan\nMasker gas untuk kawah\nSenter kepala",
        "languages": "id,en,jv",
        "price": 350_000,
        "return_time": time(7, 0),
        "position": 1,
        "departures": [time(0, 30), time(1, 0), time(1, 30)],
    },
    {
        "slug": "sunrise",
        "name_en": "Sunrise",
        "name_id": "Matahari terbit",
        "summary_en": "Skip the night hike and see the sunrise over the turquoise crater lake. Later pick-up, same trail bike and local driver.",
        "summary_id": "Tanpa pendakian tengah malam: lihat matahari terbit di atas danau kawah. Jemput lebih siang, motor trail dan driver lokal yang sama.",
        "included_en": "Pick-up at your homestay and return\nHelmet and rain poncho\nGas mask for the crater",
        "included_id": "Jemput di homestay dan antar pulang\nHelm dan jas hujan\nMasker gas untuk kawah",
        "languages": "id,en",
        "price": 300_000,
        "return_time": time(9, 30),
        "position": 2,
        "departures": [time(3, 0)],
    },
]


def seed() -> None:
    for spec in PACKAGES:
        spec = dict(spec)
        departures = spec.pop("departures")
        existing = db.session.scalar(select(RidePackage).where(RidePackage.slug == spec["slug"]))
        if existing is None:
            services.save_package(None, departures=departures, active=True, **spec)
    first = services.tonight()
    # The couriers demo's drivers (driver@example.com, driver2@…); any not made yet are skipped.
    demo_drivers = db.session.scalars(select(User).where(User.email.like("driver%@example.com")).order_by(User.id))
    for driver in demo_drivers:
        if services.trail_profile(driver) is None:
            continue  # not verified, or not on a trail bike: not on the Ijen route
        for n in range(NIGHTS):
            night = first + timedelta(days=n)
            if services.closure_for(night) is not None:
                continue
            taken = db.session.scalar(
                select(DriverAvailability.id).where(
                    DriverAvailability.driver_id == driver.id, DriverAvailability.night == night
                )
            )
            if taken is None:
                services.set_availability(driver, night, True)
    db.session.flush()
