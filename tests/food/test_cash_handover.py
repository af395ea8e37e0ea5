"""The cash a courier takes at the door for a warung's cash orders: the owner sees who holds how
much, records what they hand over, and the courier's day counts it; nothing beyond what is held."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from portal.couriers import services as couriers
from portal.couriers.contract import DeliveryStatus, Purpose
from portal.database import utcnow
from portal.food import services as food
from portal.food.models import CashHandover
from portal.formatting import rupiah
from tests.couriers.factories import make_driver
from tests.food.factories import DishFactory, WarungFactory
from tests.food.test_orders import place
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


def _delivered_cash_order(db, customer, warung, driver, key):
    food.add_to_cart(customer, DishFactory(warung=warung, price=30_000).id, 1)
    order = place(customer, warung, key=key)
    food.accept_order(order, by=warung.owner)
    food.mark_ready(order, by=warung.owner)
    db.session.commit()
    delivery = couriers.find_delivery(Purpose.FOOD, order.id)
    couriers.accept_job(delivery, driver=driver)
    couriers.mark(delivery, DeliveryStatus.PICKED_UP, by=driver)
    couriers.mark(delivery, DeliveryStatus.DELIVERED, by=driver, pin=order.delivery_pin)
    db.session.commit()
    return order, delivery


def test_two_warungs_of_one_name_are_two_lines_of_the_couriers_day(client, auth, db, customer, warung):
    """ "Warung Bu Sri" is a common name: the cash of one is never squared by the other's owner."""
    driver = make_driver()
    driver.locale = "en"
    warung.name = "Warung Bu Sri"
    namesake = WarungFactory(name="Warung Bu Sri", address="Jl. Ikan Tongkol 9, Kalipuro")
    db.session.commit()
    first, first_delivery = _delivered_cash_order(db, customer, warung, driver, "a")
    second, second_delivery = _delivered_cash_order(db, customer, namesake, driver, "b")
    food.record_handover(namesake, driver.id, 10_000, by=namesake.owner)
    db.session.commit()

    day = couriers.day_at_a_glance(driver)
    held = owed_of(first, first_delivery), owed_of(second, second_delivery) - 10_000
    assert [(entry.address, entry.to_hand_over) for entry in day.cash] == [
        ("Jl. Ikan Tongkol 9, Kalipuro", held[1]),
        ("Jl. Kepiting 1, Banyuwangi", held[0]),
    ]
    assert day.cash_to_hand_over == sum(held)
    auth.login(driver)
    page = client.get("/courier").get_data(as_text=True)
    assert f"Cash to hand over to warungs: {rupiah(sum(held))}" in page
    assert page.count("Warung Bu Sri") == 2 and "Jl. Ikan Tongkol 9, Kalipuro" in page

    # The namesake's owner squares the rest: only the other line is left.
    food.record_handover(namesake, driver.id, held[1], by=namesake.owner)
    db.session.commit()
    assert [entry.address for entry in couriers.day_at_a_glance(driver).cash] == ["Jl. Kepiting 1, Banyuwangi"]


def test_cash_held_since_yesterday_stays_until_it_is_handed_over(db, customer, warung, delivered):
    """A balance, not a day's takings: yesterday's cash handed over this morning squares
    yesterday's, and today's is still shown as held."""
    yesterdays, delivery, driver = delivered
    delivery.updated_at = utcnow() - timedelta(days=1, hours=1)
    db.session.commit()
    [entry] = couriers.day_at_a_glance(driver).cash
    assert entry.to_hand_over == owed_of(yesterdays, delivery)  # still held today

    todays, todays_delivery = _delivered_cash_order(db, customer, warung, driver, "again")
    food.record_handover(warung, driver.id, owed_of(yesterdays, delivery), by=warung.owner)
    db.session.commit()
    day = couriers.day_at_a_glance(driver)
    assert day.cash_to_hand_over == owed_of(todays, todays_delivery)
