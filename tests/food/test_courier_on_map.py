"""A food order seen from the courier's side: the customer (not the warung) watches the courier on
the map, and the courier's day counts the cash owed to the warung and the customer's rating."""

from __future__ import annotations

import pytest

from portal.couriers import services as couriers
from portal.couriers.contract import Purpose
from portal.couriers.models import DeliveryStatus
from portal.food import services as food
from portal.formatting import rupiah
from tests.couriers.factories import make_driver
from tests.food.test_orders import place

S = DeliveryStatus


@pytest.fixture
def on_the_road(db, customer, warung, dishes):
    """A cash order the warung cooked and a driver took."""
    food.add_to_cart(customer, dishes[0].id, 2)
    order = place(customer, warung)
    food.accept_order(order, by=warung.owner)
    food.mark_ready(order, by=warung.owner)
    driver = make_driver()
    driver.locale = "en"
    db.session.commit()
    delivery = couriers.find_delivery(Purpose.FOOD, order.id)
    couriers.accept_job(delivery, driver=driver)
    db.session.commit()
    return order, delivery, driver


def test_the_customer_sees_the_courier_and_the_warung_does_not(db, client, auth, customer, warung, on_the_road):
    order, delivery, driver = on_the_road
    auth.login(driver)
    token = auth.csrf_token(f"/courier/jobs/{delivery.id}")
    sent = client.post(
        f"/courier/jobs/{delivery.id}/position", data={"lat": -8.2150, "lng": 114.35, "csrf_token": token}
    )
    assert sent.status_code == 204
    auth.logout()

    auth.login(customer)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Courier last seen at" in page and "Arrives around" in page and "data-courier-map=" in page
    auth.logout()
    auth.login(warung.owner)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert f"Order {order.id}" in page or f"Pesanan {order.id}" in page
    assert "data-courier-map=" not in page and "-8.215" not in page


def test_the_drivers_day_counts_the_warungs_cash_and_the_rating(db, client, auth, customer, warung, on_the_road):
    order, delivery, driver = on_the_road
    couriers.mark(delivery, S.PICKED_UP, by=driver)
    couriers.mark(delivery, S.DELIVERED, by=driver, pin=order.delivery_pin)
    db.session.commit()
    food.rate_order(order, by=customer, warung_stars=5, courier_stars=4)
    db.session.commit()

    day = couriers.day_at_a_glance(driver)
    assert (day.today_jobs, day.today_fees, day.ratings, day.average_rating) == (1, delivery.fee, 1, 4.0)
    [cash] = day.cash
    assert (cash.warung, cash.collected, cash.to_hand_over) == (warung.name, order.total, order.total - delivery.fee)
    auth.login(driver)
    page = client.get("/courier").get_data(as_text=True)
    assert f"Cash to hand over to warungs: {rupiah(order.total - delivery.fee)}" in page
    assert "4.0" in page and "1 rating" in page


def test_the_order_poll_stays_304_until_the_courier_moves(db, client, auth, customer, on_the_road):
    order, delivery, driver = on_the_road
    couriers.record_position(delivery, driver=driver, lat=-8.2150, lng=114.35)
    db.session.commit()
    auth.login(customer)
    etag = client.get(f"/orders/{order.id}", headers={"HX-Request": "true"}).headers["ETag"]
    poll = {"HX-Request": "true", "If-None-Match": etag}
    assert client.get(f"/orders/{order.id}", headers=poll).status_code == 304
    couriers.record_position(delivery, driver=driver, lat=-8.2120, lng=114.34)
    db.session.commit()
    moved = client.get(f"/orders/{order.id}", headers=poll)
    assert moved.status_code == 200 and "Courier last seen at" in moved.get_data(as_text=True)
