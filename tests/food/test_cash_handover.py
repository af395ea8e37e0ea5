"""The cash a courier takes at the door for a warung's cash orders: the owner sees who holds how
much, records what they hand over, and the courier's day counts it; nothing beyond what is held."""

from __future__ import annotations

import re

import pytest

from portal.couriers import services as couriers
from portal.couriers.contract import Purpose
from portal.food import services as food
from portal.food.models import CashHandover
from portal.formatting import rupiah
from tests.food.factories import WarungFactory
from tests.food.test_rating_after_delivery import deliver, picked_up  # noqa: F401 - a fixture


@pytest.fixture(autouse=True)
def english(db, warung):
    warung.owner.locale = "en"
    db.session.commit()


@pytest.fixture
def delivered(db, picked_up):  # noqa: F811
    order, delivery, driver = picked_up
    deliver(db, order, delivery, driver)
    return order, couriers.find_delivery(Purpose.FOOD, order.id), driver


def owed_of(order, delivery) -> int:
    return order.total - delivery.fee  # the courier keeps their fee out of the customer's cash


def test_the_owner_sees_who_holds_their_cash_and_records_it_in_steps(client, auth, db, warung, delivered):
    order, delivery, driver = delivered
    owed = owed_of(order, delivery)
    assert couriers.day_at_a_glance(driver).cash_to_hand_over == owed
    auth.login(warung.owner)
    page = client.get("/my/warung/cash").get_data(as_text=True)
    assert driver.name in page and f"Still holds {rupiah(owed)}" in page and f'value="{owed}"' in page

    auth.post("/my/warung/cash", {"courier_id": driver.id, "amount": "10000"}, page="/my/warung/cash")
    page = client.get("/my/warung/cash").get_data(as_text=True)
    assert "Recorded: Rp10.000 received." in page and f"Still holds {rupiah(owed - 10_000)}" in page
    assert couriers.day_at_a_glance(driver).cash_to_hand_over == owed - 10_000  # the courier's day agrees

    auth.post("/my/warung/cash", {"courier_id": driver.id, "amount": str(owed - 10_000)}, page="/my/warung/cash")
    page = client.get("/my/warung/cash").get_data(as_text=True)
    assert "All handed over" in page and "Still holds" not in page
    assert couriers.day_at_a_glance(driver).cash_to_hand_over == 0
    assert sum(row.amount for row in db.session.query(CashHandover)) == owed


@pytest.mark.parametrize(("typed", "message"), [("999999999", "Enter an amount between Rp1 and"), ("lima ribu", "")])
def test_more_than_is_held_or_not_a_number_is_refused_and_kept(client, auth, db, warung, delivered, typed, message):
    *_, driver = delivered
    auth.login(warung.owner)
    response = auth.post("/my/warung/cash", {"courier_id": driver.id, "amount": typed}, page="/my/warung/cash")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'value="{typed}"' in html and 'aria-invalid="true"' in html and message in html
    assert db.session.query(CashHandover).count() == 0


def test_only_the_warungs_owner_records_and_only_what_that_courier_holds(client, auth, db, warung, delivered):
    order, _, driver = delivered
    other = WarungFactory(name="Warung Lain")
    db.session.commit()
    auth.login(other.owner)
    assert driver.name not in client.get("/my/warung/cash").get_data(as_text=True)
    auth.post("/my/warung/cash", {"courier_id": driver.id, "amount": "1000"}, page="/my/warung/cash")
    assert db.session.query(CashHandover).count() == 0
    with pytest.raises(food.FoodError):
        food.record_handover(warung, driver.id, 1000, by=other.owner)
    auth.logout()
    auth.login(order.customer)
    assert client.get("/my/warung/cash").status_code == 403


def test_a_card_order_leaves_no_cash_to_hand_over(client, auth, db, warung):
    auth.login(warung.owner)
    html = client.get("/my/warung/cash").get_data(as_text=True)
    assert "No cash orders delivered yet." in html
    assert re.search(r'href="/my/warung/cash"', client.get("/my/warung").get_data(as_text=True))
