"""Saved addresses: kept at checkout, offered at the next one, deleted from /account."""

from __future__ import annotations

import re

import pytest

from portal.food import services as food
from portal.food.models import FoodOrder
from portal.maps import services as maps
from portal.maps.models import MAX_SAVED, SavedAddress
from tests.factories import UserFactory
from tests.food.factories import DishFactory, WarungFactory

KEMIREN = ("Osing Kemiren Homestay, Jl. Barong", -8.2127, 114.3204)


@pytest.fixture(autouse=True)
def request_context(app):
    with app.test_request_context():
        yield


def test_a_label_is_kept_once_per_user_and_the_newest_pin_wins(db, customer):
    maps.save_address(customer, "Homestay", *KEMIREN)
    again = maps.save_address(customer, "  homestay ", "Pondok Ijen, Licin", -8.1688, 114.2805)
    db.session.commit()
    assert [(a.label, a.address, a.lat) for a in maps.saved_addresses(customer)] == [
        ("Homestay", "Pondok Ijen, Licin", -8.1688)
    ]
    assert again.label == "Homestay"
    other = UserFactory()
    maps.save_address(other, "Homestay", *KEMIREN)  # another user's "Homestay" is theirs
    db.session.commit()
    assert maps.saved_address(other, again.id) is None  # and ours is not theirs to read


def test_at_most_ten_and_a_name_is_needed(db, customer):
    for n in range(MAX_SAVED):
        maps.save_address(customer, f"Tempat {n}", *KEMIREN)
    with pytest.raises(maps.AddressError, match="sudah menyimpan 10"):  # the default language
        maps.save_address(customer, "Satu lagi", *KEMIREN)
    with pytest.raises(maps.AddressError, match="Beri nama"):
        maps.save_address(customer, "   ", *KEMIREN)


@pytest.fixture
def cart(db, customer):
    warung = WarungFactory()
    dish = DishFactory(warung=warung, price=20000)
    db.session.commit()
    food.add_to_cart(customer, dish.id, 1)
    db.session.commit()
    return warung


def checkout(auth, warung, **values):
    form = {
        "warung_id": warung.id,
        "address": KEMIREN[0],
        "latitude": "-8.212700",
        "longitude": "114.320400",
        "payment_method": "cash",
        **values,
    }
    review = auth.post("/checkout", form, page="/cart")
    assert review.status_code == 200, review.get_data(as_text=True)
    html = review.get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html)[1]
    total = re.search(r'name="expected_total" type="hidden" value="([^"]+)"', html)[1]
    return auth.post("/checkout", {**form, "token": token, "expected_total": total, "place": "1"}, page="/cart")


def test_saved_at_checkout_then_one_tap_fills_the_next(client, auth, db, customer, cart):
    auth.login(customer)
    placed = checkout(auth, cart, save_as="Homestay")
    assert placed.status_code == 302
    saved = db.session.query(SavedAddress).one()
    assert (saved.user_id, saved.label, saved.address, saved.lat, saved.lng) == (customer.id, "Homestay", *KEMIREN)

    food.add_to_cart(customer, cart.dishes[0].id, 1)
    db.session.commit()
    page = client.get("/cart").get_data(as_text=True)
    assert f'href="/cart?saved={saved.id}">Homestay</a>' in page
    filled = client.get(f"/cart?saved={saved.id}").get_data(as_text=True)
    assert f'value="{KEMIREN[0]}"' in filled
    assert 'name="latitude" type="hidden" value="-8.212700"' in filled

    # Someone else's id fills nothing.
    stranger = UserFactory(locale="en")
    db.session.commit()
    mine = maps.save_address(stranger, "Rumah", "Rumah Pak Sugeng, Glagah", -8.21, 114.33)
    db.session.commit()
    assert "Rumah Pak Sugeng" not in client.get(f"/cart?saved={mine.id}").get_data(as_text=True)


def test_account_lists_them_and_deletes_after_a_second_tap(client, auth, db, customer):
    ours = maps.save_address(customer, "Homestay", *KEMIREN)
    stranger = UserFactory()
    theirs = maps.save_address(stranger, "Rumah", "Rumah Pak Sugeng, Glagah", -8.21, 114.33)
    db.session.commit()
    auth.login(customer)
    page = client.get("/account").get_data(as_text=True)
    assert "Saved addresses" in page and KEMIREN[0] in page and "Rumah Pak Sugeng" not in page
    assert "Yes, delete Homestay" in page  # inside a closed <details>: the first tap only opens it

    refused = auth.post(f"/account/addresses/{theirs.id}/delete", page="/account")
    assert refused.status_code == 404
    assert db.session.get(SavedAddress, theirs.id) is not None

    done = auth.post(f"/account/addresses/{ours.id}/delete", page="/account", follow_redirects=True)
    assert "Homestay is deleted." in done.get_data(as_text=True)
    assert db.session.query(SavedAddress).filter_by(user_id=customer.id).count() == 0
    assert "None yet" in client.get("/account").get_data(as_text=True)


def test_another_address_typed_over_a_saved_one_is_looked_up_not_given_its_pin(
    client, auth, db, customer, cart, geocoder_server
):
    """Without JavaScript: "Homestay" filled, then the beach typed over it. The courier must go to
    the beach, not to the homestay's pin."""
    saved = maps.save_address(customer, "Homestay", *KEMIREN)
    db.session.commit()
    auth.login(customer)
    filled = client.get(f"/cart?saved={saved.id}").get_data(as_text=True)
    assert re.search(r'name="pin_for" type="hidden" value="Osing Kemiren Homestay, Jl. Barong"', filled)
    placed = checkout(auth, cart, address="Pantai Boom, Kampung Mandar", pin_for=KEMIREN[0])
    assert placed.status_code == 302
    order = db.session.scalars(db.select(FoodOrder)).one()
    assert (order.lat, order.lng) == (-8.2110, 114.3790)  # the beach, as the geocoder finds it
