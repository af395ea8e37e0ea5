"""A tourist's saved addresses (named at a food checkout: "Homestay") fill the ride's pick-up,
pin included, with one tap and without JavaScript; nobody else's can be filled in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.maps import services as maps
from portal.rides import services as rides
from portal.rides.models import RideBooking
from tests.factories import UserFactory
from tests.rides import factories as f
from tests.rides.test_booking import booking_form


@pytest.fixture
def night(app):
    return rides.next_bookable_night() + timedelta(days=2)


@pytest.fixture
def homestay(db, customer):
    saved = maps.save_address(customer, "Homestay", "Homestay Kemiren, Jl. Barong 3, Glagah", -8.2127, 114.3312)
    db.session.commit()
    return saved


def test_a_saved_address_fills_the_pick_up_and_its_pin(client, auth, db, customer, blue_fire, night, homestay):
    f.available(f.driver(), night)
    db.session.commit()
    auth.login(customer)
    client.set_cookie("lang", "en")
    page = f"/rides/blue-fire?date={night.isoformat()}"
    html = client.get(page).get_data(as_text=True)
    link = f"/rides/blue-fire?date={night.isoformat()}&amp;saved={homestay.id}"
    assert "Your saved addresses:" in html and f'<a href="{link}">Homestay</a>' in html

    filled = client.get(f"{page}&saved={homestay.id}").get_data(as_text=True)
    assert re.search(r"<textarea[^>]*>\s*Homestay Kemiren, Jl. Barong 3, Glagah</textarea>", filled)
    assert re.search(r'<input[^>]*id="latitude"[^>]*value="-8.212700"', filled)
    assert re.search(r'<input[^>]*id="longitude"[^>]*value="114.331200"', filled)

    # Booked as filled: the pin goes with the booking.
    _, data = booking_form(auth, blue_fire, night, latitude="-8.2127", longitude="114.3312")
    data["pickup_address"] = "Homestay Kemiren, Jl. Barong 3, Glagah"
    auth.post("/rides/bookings", data, page=f"{page}&saved={homestay.id}")
    booking = db.session.scalar(select(RideBooking))
    assert booking.pickup_address.startswith("Homestay Kemiren") and booking.latitude == pytest.approx(-8.2127)


def test_someone_elses_saved_address_is_not_filled(client, auth, db, customer, blue_fire, night, homestay):
    f.available(f.driver(), night)
    stranger = UserFactory()
    db.session.commit()
    auth.login(stranger)
    html = client.get(f"/rides/blue-fire?date={night.isoformat()}&saved={homestay.id}").get_data(as_text=True)
    assert "Homestay Kemiren" not in html and "-8.2127" not in html
    assert "Your saved addresses:" not in html  # the stranger has none


def test_a_visitor_sees_no_saved_addresses(client, db, blue_fire, night, homestay):
    f.available(f.driver(), night)
    db.session.commit()
    html = client.get(f"/rides/blue-fire?date={night.isoformat()}&saved={homestay.id}").get_data(as_text=True)
    assert "Homestay Kemiren" not in html and "saved addresses" not in html
