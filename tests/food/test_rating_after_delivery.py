"""The rating form comes with the poll that sees the order delivered (no reload), is on the page
itself without JavaScript, and is shown to the customer only."""

from __future__ import annotations

import pytest

from portal.couriers import services as couriers
from portal.couriers.contract import Purpose
from portal.couriers.models import DeliveryStatus
from portal.food import services as food
from tests.couriers.factories import make_driver
from tests.food.test_orders import place

S = DeliveryStatus
POLL = {"HX-Request": "true"}


@pytest.fixture
def picked_up(db, customer, warung, dishes):
    """A cash order on its way: cooked, taken by a driver, picked up."""
    food.add_to_cart(customer, dishes[0].id, 1)
    order = place(customer, warung)
    food.accept_order(order, by=warung.owner)
    food.mark_ready(order, by=warung.owner)
    driver = make_driver()
    db.session.commit()
    delivery = couriers.find_delivery(Purpose.FOOD, order.id)
    couriers.accept_job(delivery, driver=driver)
    couriers.mark(delivery, S.PICKED_UP, by=driver)
    db.session.commit()
    return order, delivery, driver


def deliver(db, order, delivery, driver) -> None:
    couriers.mark(delivery, S.DELIVERED, by=driver, pin=order.delivery_pin)
    db.session.commit()


@pytest.mark.parametrize(("language", "question"), [("en", "How was it?"), ("id", "Bagaimana rasanya?")])
def test_the_poll_that_sees_delivered_brings_the_rating_form(db, client, auth, customer, picked_up, language, question):
    order, delivery, driver = picked_up
    customer.locale = language
    db.session.commit()
    auth.login(customer)
    before = client.get(f"/orders/{order.id}", headers=POLL)
    assert before.status_code == 200 and question not in before.get_data(as_text=True)
    deliver(db, order, delivery, driver)
    after = client.get(f"/orders/{order.id}", headers=POLL)
    fragment = after.get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="order-tracking"')
    assert question in fragment and f'action="/orders/{order.id}/rating"' in fragment
    assert 'name="csrf_token"' in fragment.split(f'action="/orders/{order.id}/rating"')[1]
    assert "hx-get" not in fragment  # delivered is final: the section stops polling


def test_without_javascript_the_page_has_the_form_on_load(db, client, auth, customer, picked_up):
    order, delivery, driver = picked_up
    deliver(db, order, delivery, driver)
    auth.login(customer)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert page.count("How was it?") == 1 and "Send rating" in page
    response = auth.post(
        f"/orders/{order.id}/rating", {"warung_stars": "5", "courier_stars": "4"}, page=f"/orders/{order.id}"
    )
    assert response.status_code == 302
    db.session.refresh(order)
    assert (order.rating_warung, order.rating_courier) == (5, 4)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "How was it?" not in page and "Your rating" in page


def test_the_warung_sees_the_delivered_order_without_a_rating_form(db, client, auth, warung, picked_up):
    order, delivery, driver = picked_up
    deliver(db, order, delivery, driver)
    auth.login(warung.owner)
    fragment = client.get(f"/orders/{order.id}", headers=POLL).get_data(as_text=True)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    for html in (fragment, page):
        assert "/rating" not in html and "Bagaimana rasanya?" not in html and "How was it?" not in html
