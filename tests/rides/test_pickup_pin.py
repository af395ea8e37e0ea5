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


@pytest.mark.parametrize("address", ["Pondok Ijen Homestay, Licin", "Rumah Pak Slamet, gang buntu"])
def test_an_address_without_a_pin_is_booked_as_typed_with_no_guess(
    auth, db, customer, blue_fire, seat, night, geocoder_server, address
):
    """The booking goes straight to the card page: a geocoder's guess would reach the driver
    unseen by the tourist. Without a pin the driver calls."""
    auth.login(customer)
    response = _book(auth, blue_fire, night, pickup_address=address, latitude="", longitude="")
    assert response.status_code == 302  # to the card page
    booking = db.session.scalar(select(RideBooking))
    assert booking.pickup_address == address and booking.latitude is None
    assert geocoder_server.requests == []


def test_a_saved_addresss_pin_does_not_follow_another_typed_address(auth, db, customer, blue_fire, seat, night):
    """Without JavaScript: "Homestay" filled, then another hotel typed over it. Its pin would send
    the driver to the homestay at night; it is dropped instead."""
    auth.login(customer)
    response = _book(
        auth,
        blue_fire,
        night,
        pickup_address="Hotel Santika, Jl. Ahmad Yani",
        latitude="-8.212700",
        longitude="114.331200",
        pin_for="Homestay Kemiren, Jl. Barong 3, Glagah",
    )
    assert response.status_code == 302
    booking = db.session.scalar(select(RideBooking))
    assert booking.pickup_address.startswith("Hotel Santika") and booking.latitude is None


def test_a_pin_outside_banyuwangi_is_refused_and_the_address_kept(auth, db, customer, blue_fire, seat, night):
    auth.login(customer)
    auth.client.set_cookie("lang", "en")
    response = _book(auth, blue_fire, night, latitude="-6.2000", longitude="106.8166")  # Jakarta
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "That point is not in Banyuwangi" in html
    assert "Homestay Ijen Asri, Jl. Ketapang 7, Banyuwangi" in html
    assert db.session.scalar(select(func.count(RideBooking.id))) == 0


@pytest.mark.parametrize("through", ["full", "closed"])
def test_the_pick_up_waits_on_a_night_without_a_booking_form(client, db, blue_fire, seat, night, through):
    """With JavaScript the night picker carries the booking form's fields by id: on a night with
    no form (full, or closed) they wait in hidden fields of the same ids."""
    if through == "full":
        shown = night + timedelta(days=1)  # nobody drives that night
    else:
        shown = night - timedelta(days=400)  # long past
    query = "pickup_address=Osing+Kemiren+Homestay&latitude=-8.2127&longitude=114.3204&pin_for=Osing+Kemiren+Homestay"
    html = client.get(f"/rides/blue-fire?date={shown.isoformat()}&{query}", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "Hold my seat" not in html
    assert re.search(
        r'<input type="hidden" id="pickup_address" name="pickup_address" value="Osing Kemiren Homestay">', html
    )
    assert 'id="latitude" name="latitude" value="-8.212700"' in html
    assert 'id="pin_for" name="pin_for" value="Osing Kemiren Homestay"' in html


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


@pytest.mark.parametrize("latitude", ["sNaN", "NaN", "Infinity", "-inf"])
def test_a_pin_that_is_not_a_number_is_refused_not_a_500(auth, db, customer, blue_fire, seat, night, latitude):
    auth.login(customer)
    auth.client.set_cookie("lang", "en")
    response = _book(auth, blue_fire, night, latitude=latitude)
    assert response.status_code == 422
    assert "The pin is not a point on the map. Set it again." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(RideBooking.id))) == 0
