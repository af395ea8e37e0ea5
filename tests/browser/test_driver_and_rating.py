"""On two phones: the demo driver (Indonesian) finds a food job by its title, not an internal key,
and reads a driver's words after each step; the tourist's order page, never reloaded, offers the
rating once its poll sees the order delivered. Without JavaScript the form is on the page itself."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.accounts.services import find_by_email
from portal.couriers import services as couriers
from portal.couriers.contract import Purpose
from portal.couriers.models import DeliveryStatus
from portal.extensions import db as _db
from portal.food import services as food
from portal.food.models import FoodOrder
from tests.browser.conftest import PHONE, assert_accessible, login
from tests.browser.test_food import DEMO_PASSWORD, demo, new_page, place_cash_order  # noqa: F401 - demo: a fixture


def cooked(app, order_id: int) -> str:
    """The demo owner accepts the order and marks it ready (a courier is asked); its PIN."""
    with app.test_request_context():
        order = _db.session.get(FoodOrder, order_id)
        owner = find_by_email("owner@example.com")
        food.accept_order(order, by=owner)
        food.mark_ready(order, by=owner)
        pin = order.delivery_pin
        _db.session.commit()
        return pin


@pytest.mark.usefixtures("demo")
def test_the_driver_sees_a_human_title_and_the_rating_form_comes_without_a_reload(app, page, browser, live_server):
    order_id = place_cash_order(app, "tourist@example.com")
    pin = cooked(app, order_id)

    login(page, "tourist@example.com", DEMO_PASSWORD)
    page.goto(f"/orders/{order_id}")
    expect(page.locator(".order-status")).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")  # gone if the page reloads
    expect(page.get_by_role("heading", name="How was it?")).to_have_count(0)

    driver = new_page(browser, live_server)
    login(driver, "driver@example.com", DEMO_PASSWORD)  # reads Indonesian
    driver.goto("/courier")
    job = driver.locator("#open-jobs article", has_text="Warung Sego Tempong Bu Sri").first
    expect(job.locator(".job-title")).to_have_text("Makanan: Warung Sego Tempong Bu Sri → dekat Glagah")
    expect(driver.locator("main")).not_to_contain_text("food-order")
    assert_accessible(driver)
    job.get_by_role("button", name=re.compile(r"^Terima: Makanan: Warung Sego Tempong Bu Sri → ")).click()
    expect(driver.locator("#job-title")).to_have_text("Makanan: Warung Sego Tempong Bu Sri → Homestay Kemiren")
    expect(driver.locator(".job-reference")).to_have_text(f"Di lokasi jemput sebutkan: Pesanan {order_id}")
    expect(driver.locator("#job-status")).to_have_text("Milik Anda: menuju lokasi jemput")
    driver.get_by_role("button", name="Sudah dijemput").click()
    expect(driver.get_by_text("Sudah diambil. Sekarang antar ke Homestay Kemiren.")).to_be_visible()
    expect(driver.locator("#job-status")).to_have_text("Sudah diambil: antar ke tujuan")
    expect(driver.locator("main")).not_to_contain_text("ke Anda")  # the tourist's wording
    assert_accessible(driver)
    driver.locator("input[name=pin]").fill(pin)
    driver.locator("form[action$='/deliver'] button[type=submit]").click()
    expect(driver.get_by_text("Terima kasih!")).to_be_visible()
    driver.context.close()

    # The tourist's page polls itself: "Delivered", and the rating form with it.
    expect(page.locator(".order-status")).to_contain_text("Delivered", timeout=20_000)
    expect(page.get_by_role("heading", name="How was it?")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True
    assert_accessible(page)
    page.get_by_role("group", name="The food").get_by_label("5 stars").check()
    page.get_by_role("group", name="The courier").get_by_label("4 stars").check()
    page.get_by_role("button", name="Send rating").click()
    expect(page.get_by_text("Thank you for your rating!")).to_be_visible()


@pytest.mark.usefixtures("demo")
def test_without_javascript_a_delivered_order_shows_the_rating_form(app, browser, live_server):
    order_id = place_cash_order(app, "tourist@example.com")
    pin = cooked(app, order_id)
    with app.test_request_context():
        driver = find_by_email("driver@example.com")
        delivery = couriers.find_delivery(Purpose.FOOD, order_id)
        couriers.accept_job(delivery, driver=driver)
        couriers.mark(delivery, DeliveryStatus.PICKED_UP, by=driver)
        couriers.mark(delivery, DeliveryStatus.DELIVERED, by=driver, pin=pin)
        _db.session.commit()

    context = browser.new_context(viewport=PHONE, base_url=live_server.url, locale="en-US", java_script_enabled=False)
    page = context.new_page()
    login(page, "tourist@example.com", DEMO_PASSWORD)
    page.goto(f"/orders/{order_id}")
    expect(page.get_by_role("heading", name="How was it?")).to_be_visible()
    page.get_by_role("group", name="The food").get_by_label("4 stars").check()
    page.get_by_role("button", name="Send rating").click()
    expect(page.get_by_text("Thank you for your rating!")).to_be_visible()
    context.close()
