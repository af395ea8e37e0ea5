"""Seats come from available verified trail drivers; holds take one and give it back when they run out."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from portal.couriers.contract import Vehicle
from portal.formatting import WIB
from portal.rides import services as rides
from portal.rides.models import BookingStatus, RideBooking, pickup_date
from tests.rides import factories as f
from tests.rides.conftest import NIGHT, NOW, later


def book(customer, package, *, night=NIGHT, now=NOW, token=None, departure=0):
    return f.book(
        customer,
        package,
        night,
        departure=departure,
        address="Homestay Ijen Asri, Jl. Ketapang 7",
        token=token or f"t-{customer.id}-{now.timestamp()}",
        now=now,
    )


def test_a_night_pickup_after_midnight_is_on_the_next_date(app):
    assert pickup_date(date(2026, 12, 14), time(0, 30)) == date(2026, 12, 15)
    assert pickup_date(date(2026, 12, 14), time(3, 0)) == date(2026, 12, 15)
    assert pickup_date(date(2026, 12, 14), time(22, 0)) == date(2026, 12, 14)
    # 01:00 WIB on the 15th is still "tonight" = the night of the 14th
    assert rides.tonight(later(days=4, hours=15)) == NIGHT
    assert rides.tonight(NOW) == date(2026, 12, 9)  # until noon it is still last night
    assert rides.tonight(later(hours=3)) == date(2026, 12, 10)


def test_seats_count_only_available_verified_trail_drivers(db, blue_fire, customer):
    f.available(f.driver(), NIGHT)
    f.available(f.driver(), NIGHT)
    f.available(f.driver(vehicle=Vehicle.MOTORBIKE), NIGHT)
    f.available(f.driver(status="pending"), NIGHT)
    f.driver()  # verified trail driver who did not offer this night
    db.session.commit()
    assert rides.free_seats(NIGHT, now=NOW) == 2
    departures = rides.departures(blue_fire, NIGHT, now=NOW)
    assert [d.seats for d in departures] == [2, 2, 2]
    assert departures[0].pickup_at.astimezone(WIB).date() == date(2026, 12, 15)

    booking = book(customer, blue_fire)
    assert booking.state == BookingStatus.AWAITING_PAYMENT
    assert rides.free_seats(NIGHT, now=NOW) == 1


def test_an_unpaid_hold_expires_and_frees_the_seat(db, blue_fire, customer):
    f.available(f.driver(), NIGHT)
    db.session.commit()
    booking = book(customer, blue_fire)
    db.session.commit()
    assert rides.free_seats(NIGHT, now=later(minutes=9)) == 0
    # Lazily: counting after the hold's time sees the seat free before any job ran.
    assert rides.free_seats(NIGHT, now=later(minutes=10)) == 1
    other = f.CustomerFactory()
    with pytest.raises(rides.RideFull):
        book(other, blue_fire, now=later(minutes=5))
    second = book(other, blue_fire, now=later(minutes=11))
    db.session.refresh(booking)
    assert booking.state == BookingStatus.EXPIRED and booking.released_at is not None
    assert second.driver_id == booking.driver_id


def test_the_sweep_job_expires_holds_nobody_looks_at(db, blue_fire, customer):
    f.available(f.driver(), NIGHT)
    booking = book(customer, blue_fire)
    db.session.commit()
    rides.sweep(now=later(minutes=30))
    db.session.commit()
    assert booking.state == BookingStatus.EXPIRED
    assert [e.status for e in booking.events] == ["awaiting_payment", "expired"]


def test_the_database_keeps_a_driver_to_one_ride_a_night(db, blue_fire, customer):
    driver = f.driver()
    f.available(driver, NIGHT)
    first = book(customer, blue_fire)
    db.session.commit()
    clone = RideBooking(
        customer_id=customer.id,
        package_id=blue_fire.id,
        departure_id=blue_fire.active_departures[1].id,
        night=NIGHT,
        pickup_at=first.pickup_at,
        driver_id=driver.id,
        price=1,
        pickup_address="x",
        token="other",
    )
    db.session.add(clone)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    # Once the first booking releases its seat, the driver can take another ride that night.
    first = db.session.get(RideBooking, first.id)
    rides.cancel_booking(first, by=customer, now=NOW)
    db.session.commit()
    assert book(f.CustomerFactory(), blue_fire).driver_id == driver.id


def test_same_token_is_one_booking(db, blue_fire, customer):
    f.available(f.driver(), NIGHT)
    f.available(f.driver(), NIGHT)
    one = book(customer, blue_fire, token="double")
    two = book(customer, blue_fire, token="double")
    assert one.id == two.id
    assert rides.free_seats(NIGHT, now=NOW) == 1


@pytest.mark.parametrize(
    ("night", "message"),
    [
        (date(2026, 12, 8), "already passed"),
        (date(2026, 12, 10) + timedelta(days=91), "at most 90 days"),
    ],
)
def test_bad_nights_are_refused(db, blue_fire, customer, night, message):
    with pytest.raises(rides.RideError, match=message):
        book(customer, blue_fire, night=night)


def test_bookings_close_at_the_cutoff_the_evening_before(db, blue_fire, customer):
    f.available(f.driver(), NIGHT)
    evening = NOW.replace(day=14, hour=19, minute=59)
    assert book(customer, blue_fire, now=evening)
    with pytest.raises(rides.RideError, match="closed at 20:00 WIB"):
        book(f.CustomerFactory(), blue_fire, now=evening + timedelta(minutes=1))


def test_unverified_or_motorbike_drivers_cannot_offer_nights(db):
    pending = f.driver(status="pending")
    motorbike = f.driver(vehicle=Vehicle.MOTORBIKE)
    with pytest.raises(rides.RideError, match="verified"):
        rides.set_availability(pending, NIGHT, True, now=NOW)
    with pytest.raises(rides.RideError, match="trail bike"):
        rides.set_availability(motorbike, NIGHT, True, now=NOW)
    good = f.driver()
    assert rides.set_availability(good, NIGHT, True, now=NOW) is True
    assert rides.set_availability(good, NIGHT, True, now=NOW) is False
    assert rides.free_seats(NIGHT, now=NOW) == 1


def test_a_driver_cannot_withdraw_a_booked_night(db, blue_fire, customer):
    driver = f.driver()
    rides.set_availability(driver, NIGHT, True, now=NOW)
    book(customer, blue_fire)
    with pytest.raises(rides.RideError, match="ride booked"):
        rides.set_availability(driver, NIGHT, False, now=NOW)
    assert rides.set_availability(driver, NIGHT + timedelta(days=1), True, now=NOW)
    assert rides.set_availability(driver, NIGHT + timedelta(days=1), False, now=NOW)
