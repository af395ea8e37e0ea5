from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.food import services as food
from tests.food.factories import DishFactory, WarungFactory
from tests.promotions.vouchers.factories import VoucherFactory

# Tuesday 24 Nov 2026, 12:00 WIB
NOON = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
HOMESTAY = {"address": "Osing Kemiren Homestay, Kemiren", "lat": -8.2127, "lng": 114.3204, "note": "blue gate"}


@pytest.fixture(autouse=True)
def request_context(app):
    """Services build URLs and translated messages, as they do inside a request (in English)."""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


@pytest.fixture
def warung(db):
    warung = WarungFactory(name="Warung Bu Ati")
    DishFactory(warung=warung, name="Rujak Soto", price=25_000)
    DishFactory(warung=warung, name="Es Temulawak", price=8_000)
    db.session.commit()
    return warung


@pytest.fixture
def cart(db, customer, warung):
    """Rp58.000 of food: two rujak soto and an es temulawak."""
    food.add_to_cart(customer, warung.dishes[0].id, 2)
    food.add_to_cart(customer, warung.dishes[1].id, 1)
    db.session.commit()
    return warung


@pytest.fixture
def voucher(db):
    voucher = VoucherFactory(code="PESTA10", amount=10_000, budget=100_000)
    db.session.commit()
    return voucher
