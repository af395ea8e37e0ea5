"""The driver's calendar and tonight's ride; the admin's packages and closures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import Role
from portal.couriers.contract import Purpose, Vehicle
from portal.couriers.models import DeliveryStatus
from portal.couriers.services import find_delivery, mark
from portal.formatting import WIB
from portal.rides import services as rides
from portal.rides.models import BookingStatus, DriverAvailability, RidePackage, RouteClosure
from portal.workflow import IllegalMove
from tests.factories import UserFactory
from tests.rides import factories as f


def test_unverified_and_motorbike_drivers_are_told_why(auth, db):
    pending = f.driver(status="pending")
    motorbike = f.driver(vehicle=Vehicle.MOTORBIKE)
    no_profile = UserFactory(roles=[Role.DRIVER], locale="en")
    db.session.commit()
    for user, message in (
        (pending, "Only verified drivers"),
        (motorbike, "Ijen rides need a trail bike"),
        (no_profile, "Only verified drivers"),
    ):
        auth.login(user)
        assert message in auth.client.get("/rides/driver").get_data(as_text=True)
        night = rides.next_bookable_night() + timedelta(days=1)
        response = auth.post(
            "/rides/driver/availability", {"night": night.isoformat(), "available": "1"}, page="/rides/driver"
        )
        assert response.status_code == 302
        assert message in auth.client.get("/rides/driver").get_data(as_text=True)
        auth.logout()
    assert db.session.scalar(select(DriverAvailability.id)) is None


def test_a_driver_offers_nights_and_rides_tonight(app, auth, db, blue_fire):
    driver = f.driver()
    db.session.commit()
    auth.login(driver)
    night = rides.next_bookable_night() + timedelta(days=1)
    response = auth.post(
        "/rides/driver/availability",
        {"night": night.isoformat(), "available": "1"},
        page="/rides/driver",
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and 'id="calendar"' in response.get_data(as_text=True)
    assert rides.free_seats(night) == 1

    tourist = f.CustomerFactory(phone="+6281299990000")
    booking = f.book(tourist, blue_fire, night, address="Homestay Osing", token="t")
    db.session.commit()
    f.pay(app, booking)
    db.session.commit()
    html = auth.client.get("/rides/driver").get_data(as_text=True)
    assert "Homestay Osing" in html and "+6281299990000" in html and "On my way" in html
    # A booked night cannot be withdrawn.
    auth.post("/rides/driver/availability", {"night": night.isoformat(), "available": "0"}, page="/rides/driver")
    assert "You have a ride booked that night" in auth.client.get("/rides/driver").get_data(as_text=True)

    # Too early to set off days before.
    auth.post(f"/rides/driver/rides/{booking.id}/driver_on_the_way", page="/rides/driver")
    assert "Too early" in auth.client.get("/rides/driver").get_data(as_text=True)
    rides.driver_move(
        booking, BookingStatus.DRIVER_ON_THE_WAY, by=driver, now=booking.pickup_at - timedelta(minutes=30)
    )
    db.session.commit()
    assert find_delivery(Purpose.RIDE, booking.id).status == DeliveryStatus.PICKING_UP
    for step, delivery_status in (("riding", DeliveryStatus.DELIVERING), ("completed", DeliveryStatus.DELIVERED)):
        auth.post(f"/rides/driver/rides/{booking.id}/{step}", page="/rides/driver")
        db.session.refresh(booking)
        assert booking.status == step
        assert find_delivery(Purpose.RIDE, booking.id).status == delivery_status


def test_a_driver_cannot_move_someone_elses_ride(app, auth, db, blue_fire):
    night = rides.next_bookable_night() + timedelta(days=1)
    mine, other = f.driver(), f.driver()
    f.available(other, night)
    booking = f.book(f.CustomerFactory(), blue_fire, night, address="x 12345", token="t")
    db.session.commit()
    auth.login(mine)
    assert auth.post(f"/rides/driver/rides/{booking.id}/completed", page="/rides/driver").status_code == 404


def test_no_show_after_the_pickup_time(app, db, blue_fire):
    night = rides.next_bookable_night() + timedelta(days=1)
    driver = f.driver()
    booking = f.paid_booking(app, blue_fire, night, driver_user=driver)
    with pytest.raises(rides.RideError, match="Wait until the pick-up time"):
        rides.driver_move(booking, BookingStatus.NO_SHOW, by=driver, now=booking.pickup_at - timedelta(minutes=5))
    rides.driver_move(booking, BookingStatus.NO_SHOW, by=driver, now=booking.pickup_at + timedelta(minutes=20))
    db.session.commit()
    assert booking.state == BookingStatus.NO_SHOW
    assert find_delivery(Purpose.RIDE, booking.id).status == DeliveryStatus.FAILED


def test_admin_edits_packages_and_refuses_bad_times(auth, db, blue_fire):
    admin = UserFactory(roles=[Role.ADMIN], locale="en")
    db.session.commit()
    auth.login(admin)
    assert "Blue fire" in auth.client.get("/rides/admin/packages").get_data(as_text=True)
    form = {
        "slug": "sunrise",
        "name_en": "Sunrise",
        "name_id": "Matahari terbit",
        "languages": "id,en",
        "price": "300000",
        "departures": "03:00",
        "return_time": "09:30",
        "active": "y",
    }
    bad = auth.post("/rides/admin/packages/new", {**form, "departures": "3 o'clock"}, page="/rides/admin/packages/new")
    assert bad.status_code == 422 and "is not a time" in bad.get_data(as_text=True)
    reserved = auth.post("/rides/admin/packages/new", {**form, "slug": "driver"}, page="/rides/admin/packages/new")
    assert reserved.status_code == 422 and "reserved" in reserved.get_data(as_text=True)
    assert auth.post("/rides/admin/packages/new", form, page="/rides/admin/packages/new").status_code == 302
    sunrise = db.session.scalar(select(RidePackage).where(RidePackage.slug == "sunrise"))
    assert [d.pickup_time.strftime("%H:%M") for d in sunrise.active_departures] == ["03:00"]
    page = f"/rides/admin/packages/{blue_fire.id}"
    assert 'value="00:30, 01:00, 01:30"' in auth.client.get(page).get_data(as_text=True)
    edit = {**form, "slug": "blue-fire", "name_en": "Blue fire", "name_id": "Api biru", "departures": "00:30, 01:00"}
    assert auth.post(page, edit, page=page).status_code == 302
    db.session.refresh(blue_fire)
    assert [d.pickup_time.strftime("%H:%M") for d in blue_fire.active_departures] == ["00:30", "01:00"]
    assert len(blue_fire.departures) == 3  # 01:30 is switched off, never deleted


def test_admin_closes_the_route_with_confirmation(auth, db, blue_fire):
    admin = UserFactory(roles=[Role.ADMIN], locale="en")
    db.session.commit()
    auth.login(admin)
    night = rides.next_bookable_night() + timedelta(days=1)
    form = {
        "first_night": night.isoformat(),
        "last_night": night.isoformat(),
        "reason_en": "Maintenance of the Paltuding road",
        "reason_id": "Perbaikan jalan Paltuding",
    }
    unconfirmed = auth.post("/rides/admin/closures", form, page="/rides/admin/closures")
    assert unconfirmed.status_code == 422 and "Tick the box" in unconfirmed.get_data(as_text=True)
    backwards = auth.post(
        "/rides/admin/closures",
        {**form, "last_night": (night - timedelta(days=1)).isoformat(), "confirm": "y"},
        page="/rides/admin/closures",
    )
    assert backwards.status_code == 422 and "on or after the first night" in backwards.get_data(as_text=True)
    assert auth.post("/rides/admin/closures", {**form, "confirm": "y"}, page="/rides/admin/closures").status_code == 302
    closure = db.session.scalar(select(RouteClosure))
    assert closure.covers(night)
    auth.post(f"/rides/admin/closures/{closure.id}/lift", page="/rides/admin/closures")
    db.session.refresh(closure)
    assert closure.lifted_at is not None and not closure.covers(night)


def test_moves_made_in_the_courier_workspace_move_the_booking(app, db, blue_fire):
    night = rides.next_bookable_night() + timedelta(days=1)
    driver = f.driver()
    booking = f.paid_booking(app, blue_fire, night, driver_user=driver)
    delivery = find_delivery(Purpose.RIDE, booking.id)
    mark(delivery, DeliveryStatus.PICKING_UP, by=driver)
    assert booking.state == BookingStatus.DRIVER_ON_THE_WAY
    mark(delivery, DeliveryStatus.PICKED_UP, by=driver)
    mark(delivery, DeliveryStatus.DELIVERED, by=driver)
    db.session.commit()
    assert booking.state == BookingStatus.COMPLETED
    assert [e.status for e in booking.events][-3:] == ["driver_on_the_way", "riding", "completed"]


def test_a_step_out_of_order_is_refused_and_changes_nothing(app, auth, db, blue_fire):
    night = rides.next_bookable_night() + timedelta(days=1)
    driver = f.driver()
    booking = f.paid_booking(app, blue_fire, night, driver_user=driver)
    events = len(booking.events)
    with pytest.raises(IllegalMove):
        rides.driver_move(booking, BookingStatus.COMPLETED, by=driver, now=booking.pickup_at)
    db.session.rollback()
    auth.login(driver)
    auth.post(f"/rides/driver/rides/{booking.id}/completed", page="/rides/driver")
    assert "This is confirmed and cannot become completed" in auth.client.get("/rides/driver").get_data(as_text=True)
    db.session.refresh(booking)
    assert booking.state == BookingStatus.CONFIRMED and len(booking.events) == events
    assert find_delivery(Purpose.RIDE, booking.id).status == DeliveryStatus.DRIVER_ASSIGNED


@pytest.mark.parametrize(("hour", "word"), [(1, "(last night)"), (15, "(tonight)")])
def test_after_midnight_the_calendar_calls_the_running_night_last_night(auth, db, monkeypatch, hour, word):
    driver = f.driver()
    db.session.commit()
    moment = datetime(2026, 12, 11, hour, 0, tzinfo=WIB)  # night of 10 Dec runs until noon on the 11th
    monkeypatch.setattr("portal.rides.routes.driver.utcnow", lambda: moment.astimezone(UTC))
    auth.login(driver)
    page = auth.client.get("/rides/driver").get_data(as_text=True)
    assert word in page
    assert ("(tonight)" in page) == (hour >= 12)
