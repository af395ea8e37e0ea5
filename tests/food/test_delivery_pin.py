"""Where food goes: the pin from the map, or from the address (no JavaScript), within the
warung's delivery radius. The geocoder is the fake Nominatim (tests/maps_server.py)."""

from __future__ import annotations

import pytest

from portal.accounts.models import Role
from portal.food import services as food
from portal.food.models import FoodOrder, Warung
from tests.factories import UserFactory
from tests.food.factories import DishFactory

PULAU_MERAH = (-8.6026, 114.0233)  # Pesanggaran: about 58 km from the warung in Lateng


@pytest.fixture
def cart(db, customer, warung):
    dish = DishFactory(warung=warung, name="Rujak Soto", price=25000)
    db.session.commit()
    food.add_to_cart(customer, dish.id, 1)
    db.session.commit()
    return dish


def form(warung, **values):
    return {"warung_id": warung.id, "note": "", "payment_method": "cash", "latitude": "", "longitude": "", **values}


def test_a_drop_off_beyond_the_radius_is_refused_saying_how_far(app, customer, warung, cart):
    with pytest.raises(food.FoodError) as refused:
        food.price_checkout(customer, warung.id, address="Pulau Merah", lat=PULAU_MERAH[0], lng=PULAU_MERAH[1])
    said = str(refused.value)  # in the default language (no one signed in)
    assert "58,4 km dari" in said and "paling jauh 15 km" in said
    app.config["DELIVERY_RADIUS_KM"] = 60
    assert food.price_checkout(customer, warung.id, address="Pulau Merah", lat=PULAU_MERAH[0], lng=PULAU_MERAH[1])


def test_over_http_the_refusal_keeps_what_was_typed_in_both_languages(client, auth, db, customer, warung, cart):
    auth.login(customer)
    data = form(warung, address="Pantai Pulau Merah, Pesanggaran", note="dekat pos jaga")
    response = auth.post("/checkout", data, page="/cart")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "58.4 km from" in html and "up to 15 km away" in html
    assert 'value="Pantai Pulau Merah, Pesanggaran"' in html and 'value="dekat pos jaga"' in html
    assert db.session.query(FoodOrder).count() == 0

    customer.locale = "id"
    db.session.commit()
    html = auth.post("/checkout", data, page="/cart").get_data(as_text=True)
    assert "58,4 km dari" in html and "paling jauh 15 km" in html


def test_without_a_pin_the_address_is_found_on_the_map(client, auth, db, customer, warung, cart, geocoder_server):
    auth.login(customer)
    review = auth.post("/checkout", form(warung, address="Taman Blambangan, Kepatihan"), page="/cart")
    html = review.get_data(as_text=True)
    assert review.status_code == 200 and "Place order" in html
    assert 'name="latitude" type="hidden" value="-8.215500"' in html  # the review carries the pin
    assert geocoder_server.requests[-1].args["q"] == "Taman Blambangan, Kepatihan"


def test_the_warung_pin_follows_a_new_address_sent_without_the_map(client, auth, db, warung):
    owner = warung.owner
    auth.login(owner)
    data = {
        "name": warung.name,
        "address": "Pendopo Sabha Swagata Blambangan, Jl. Sritanjung",
        "latitude": f"{warung.lat:.6f}",  # the hidden inputs still hold the old pin
        "longitude": f"{warung.lng:.6f}",
        "phone": "0812 3456 7890",
    }
    response = auth.post("/my/warung", data, page="/my/warung")
    assert response.status_code == 302
    db.session.refresh(warung)
    assert (warung.lat, warung.lng) == (-8.2146, 114.3695)
    # A pin moved on the map is kept, whatever the address says.
    auth.post("/my/warung", {**data, "address": "Pantai Boom", "latitude": "-8.2", "longitude": "114.37"})
    db.session.refresh(warung)
    assert (warung.lat, warung.lng) == (-8.2, 114.37)


def test_a_new_warung_without_a_pin_is_found_or_asked_for(client, auth, db):
    owner = UserFactory(roles=[Role.OWNER], locale="en")
    db.session.commit()
    auth.login(owner)
    data = {"name": "Warung Baru", "address": "Gang Buntu 3", "latitude": "", "longitude": "", "phone": "081234567890"}
    response = auth.post("/my/warung", data, page="/my/warung")
    assert response.status_code == 422 and "could not find this address on the map" in response.get_data(as_text=True)
    response = auth.post("/my/warung", {**data, "address": "Pelabuhan Ketapang, Kalipuro"}, page="/my/warung")
    assert response.status_code == 302
    made = db.session.query(Warung).filter_by(owner_id=owner.id).one()
    assert (made.lat, made.lng) == (-8.1425, 114.3999)


def test_a_looked_up_pin_follows_the_address_typed_again(client, auth, db, customer, warung, cart):
    """Without JavaScript the review page carries the pin found for the first address; the
    customer then types another: the pin is looked up again, not kept from the old one."""
    auth.login(customer)
    first = auth.post("/checkout", form(warung, address="Taman Blambangan, Kepatihan"), page="/cart")
    html = first.get_data(as_text=True)
    assert 'name="pin_for" type="hidden" value="Taman Blambangan, Kepatihan"' in html
    again = form(warung, address="Pantai Boom, Kampung Mandar", latitude="-8.215500", longitude="114.371300")
    html = auth.post("/checkout", {**again, "pin_for": "Taman Blambangan, Kepatihan"}, page="/cart").get_data(
        as_text=True
    )
    assert 'name="latitude" type="hidden" value="-8.211000"' in html  # Pantai Boom's
    # A pin the user set on the map (the map empties pin_for) stays, whatever the address says.
    mine = {**again, "latitude": "-8.210000", "longitude": "114.370000", "pin_for": ""}
    html = auth.post("/checkout", mine, page="/cart").get_data(as_text=True)
    assert 'name="latitude" type="hidden" value="-8.210000"' in html
