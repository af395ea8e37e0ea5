"""The ride's pick-up point: the map's pin, or the geocoder's for a typed address. A pin helps the
driver find a homestay at night; an address the map cannot place is still booked (the driver
calls the tourist), and a pin outside Banyuwangi is refused with the address kept."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.rides import services as rides
from portal.rides.models import RideBooking
from tests.rides import factories as f
from tests.rides.test_booking import booking_form


@pytest.fixture
def night(app):
    return rides.next_bookable_night() + timedelta(days=2)


@pytest.fixture
def seat(db, night):
    f.available(f.driver(), night)
    db.session.commit()


def _book(auth, package, night, **fields):
    page, data = booking_form(auth, package, night, **fields)
    return auth.post("/rides/bookings", data, page=page)


def test_the_map_pin_goes_with_the_booking(auth, db, customer, blue_fire, seat, night):
    auth.login(customer)
    response = _book(auth, blue_fire, night, latitude="-8.212700", longitude="114.320400")
    assert response.status_code == 302
    booking = db.session.scalar(select(RideBooking))
    assert (booking.latitude, booking.longitude) == pytest.approx((-8.2127, 114.3204))


def test_a_typed_address_without_a_pin_is_found_on_the_map(auth, db, customer, blue_fire, seat, night, geocoder_server):
    auth.login(customer)
    response = _book(auth, blue_fire, night, pickup_address="Pondok Ijen Homestay, Licin", latitude="", longitude="")
    assert response.status_code == 302
    booking = db.session.scalar(select(RideBooking))
    assert (booking.latitude, booking.longitude) == pytest.approx((-8.1688, 114.2805))
    assert [r.path for r in geocoder_server.requests] == ["/search"]


@pytest.mark.parametrize("fault", [None, "503"])
def test_an_address_the_map_cannot_place_is_still_booked_without_a_pin(
    auth, db, customer, blue_fire, seat, night, geocoder_server, fault
):
    if fault:
        geocoder_server.fail_next(fault)
    auth.login(customer)
    response = _book(auth, blue_fire, night, pickup_address="Rumah Pak Slamet, gang buntu", latitude="", longitude="")
    assert response.status_code == 302  # to the card page: the driver calls the tourist
    booking = db.session.scalar(select(RideBooking))
    assert booking.pickup_address == "Rumah Pak Slamet, gang buntu" and booking.latitude is None


def test_a_pin_outside_banyuwangi_is_refused_and_the_address_kept(auth, db, customer, blue_fire, seat, night):
    auth.login(customer)
    auth.client.set_cookie("lang", "en")
    response = _book(auth, blue_fire, night, latitude="-6.2000", longitude="106.8166")  # Jakarta
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "That point is not in Banyuwangi" in html
    assert "Homestay Ijen Asri, Jl. Ketapang 7, Banyuwangi" in html
    assert db.session.scalar(select(func.count(RideBooking.id))) == 0


def test_changing_the_night_keeps_the_pin(client, db, blue_fire, seat, night):
    other = night + timedelta(days=1)
    f.available(f.driver(), other)
    db.session.commit()
    query = "pickup_address=Osing+Kemiren+Homestay&latitude=-8.2127&longitude=114.3204"
    html = client.get(f"/rides/blue-fire?date={other.isoformat()}&{query}", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert re.search(r'<input[^>]*id="latitude"[^>]*value="-8.212700"', html)
    assert re.search(r'<input[^>]*id="longitude"[^>]*value="114.320400"', html)
    assert "Osing Kemiren Homestay</textarea>" in html


@pytest.mark.parametrize("latitude", ["nan", "99", "-6.2", "south"])
def test_a_carried_pin_that_is_not_in_banyuwangi_is_dropped(client, db, blue_fire, seat, night, latitude):
    query = f"pickup_address=Osing+Kemiren+Homestay&latitude={latitude}&longitude=114.3204"
    html = client.get(f"/rides/blue-fire?date={night.isoformat()}&{query}").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="latitude"[^>]*value=""', html)
    assert "Osing Kemiren Homestay</textarea>" in html
