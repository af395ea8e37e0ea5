"""Issue 19's "done when", as one story on a 390 px phone, in both languages: a tourist orders
from a homestay by dropping a pin (search the map, drag the pin: no address typed), watches the
courier move on the map (the driver's phone is Chromium's geolocation emulation), and books an
Ijen ride for another night, changing the night before any address is typed. Every page on the
way axe-clean and no wider than the phone; the demo data is `make run`'s (seed_all).

The page texts come from the catalogues (`t`), so the Indonesian run reads what an Indonesian
tourist reads."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect

from portal.accounts.services import find_by_email
from portal.couriers import services as couriers
from portal.extensions import db as _db
from portal.food import services as food
from portal.food.models import FoodOrder, Warung
from portal.rides import services as rides
from tests.browser.conftest import PHONE, assert_accessible, login, settle, watch_errors
from tests.browser.test_food import DEMO_PASSWORD, demo  # noqa: F401 - the demo fixture

SHOTS = Path(__file__).resolve().parents[2] / "test-results"
KEMIREN = (-8.2127, 114.3204)  # the fake geocoder's Osing Kemiren Homestay


def phone(browser, live_server, lang: str, **options):
    context = browser.new_context(
        viewport=PHONE,
        base_url=live_server.url,
        locale="en-US" if lang == "en" else "id-ID",
        timezone_id="Asia/Jakarta",
        **options,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = watch_errors(page)
    return page, errors


def fits(page) -> None:
    """axe-clean, and nothing wider than the phone."""
    assert_accessible(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"


def km_to_go(text: str) -> float:
    return float(re.search(r"([\d.,]+) km", text).group(1).replace(",", "."))


@pytest.mark.parametrize("lang", ["en", "id"])
def test_a_tourist_orders_to_a_dropped_pin_watches_the_courier_and_books_another_night(
    app,
    browser,
    live_server,
    demo,  # noqa: F811 - the fixture
    lang,
):
    def t(text: str, **values) -> str:
        with force_locale(lang):
            return gettext(text, **values)

    app.config["COURIER_POSITION_INTERVAL"] = 1  # the driver's phone sends every second, not every 15
    tourist_user = find_by_email("tourist@example.com")
    driver_user = find_by_email("driver@example.com")
    tourist_user.locale = driver_user.locale = lang
    couriers.driver_profile(driver_user).online = True
    warung = _db.session.scalar(_db.select(Warung).where(Warung.slug == "sego-tempong-bu-sri"))
    dish = warung.dishes[0].display_name(lang)
    _db.session.commit()

    tourist, tourist_errors = phone(browser, live_server, lang)
    driver, driver_errors = phone(browser, live_server, lang)
    try:
        # --- The order, from the home page -------------------------------------------------------
        login(tourist, "tourist@example.com", DEMO_PASSWORD)
        tourist.goto("/warungs")
        fits(tourist)
        tourist.get_by_role("link", name=warung.name).first.click()
        expect(tourist.get_by_role("heading", name=warung.name)).to_be_visible()
        tourist.get_by_role("button", name=t("Add %(dish)s", dish=dish)).click()
        cart_tab = tourist.locator(".tabbar").get_by_role("link", name=re.compile(t("Cart")))
        expect(cart_tab).to_contain_text("1")  # the Cart tab counts it
        fits(tourist)
        cart_tab.click()
        expect(tourist.get_by_role("heading", name=t("Your cart"))).to_be_visible()

        # No address typed: search the map for the homestay, pick it, then drag the pin onto the gate.
        address = tourist.get_by_label(t("Homestay or hotel name and address"))
        expect(address).to_have_value("")
        picker = tourist.locator("[data-map-picker]")
        expect(picker.locator("img.leaflet-tile-loaded").first).to_be_visible()
        search = tourist.get_by_label(t("Search the map"))
        search.fill("Kemiren")
        search.press("Enter")
        tourist.get_by_role("button", name=re.compile("^Osing Kemiren Homestay")).click()
        expect(address).to_have_value(re.compile("^Osing Kemiren Homestay"))  # filled from the place
        picker.locator(".leaflet-container").evaluate("e => e.scrollIntoView({block: 'center'})")
        settle(tourist)
        box = picker.locator(".leaflet-marker-icon").bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] - 4
        tourist.mouse.move(x, y)
        tourist.mouse.down()
        tourist.mouse.move(x + 20, y + 15, steps=5)
        tourist.mouse.move(x + 40, y + 30, steps=5)
        tourist.mouse.up()
        latitude = tourist.locator("form.checkout input[name=latitude]")
        expect(latitude).not_to_have_value(f"{KEMIREN[0]:.6f}")
        pin = (
            float(latitude.input_value()),
            float(tourist.locator("form.checkout input[name=longitude]").input_value()),
        )
        assert pin[0] < KEMIREN[0] and pin[1] > KEMIREN[1] and abs(pin[1] - KEMIREN[1]) < 0.01, pin
        expect(picker.get_by_role("status")).to_contain_text(t("Pin set. Drag it or tap the map to move it."))
        tourist.get_by_label(t("Save this address as (optional)")).fill("Homestay")
        tourist.get_by_label(t("Cash to the courier")).check()
        fits(tourist)
        tourist.get_by_role("button", name=t("See the total with delivery")).click()
        place = tourist.get_by_role("button", name=re.compile(re.escape(t("Place order · %(total)s", total="Rp"))))
        expect(place).to_be_visible()
        place.click()
        expect(tourist.get_by_role("heading", name=re.compile(r"\d+$"))).to_be_visible()
        _db.session.rollback()
        order = _db.session.scalars(_db.select(FoodOrder).order_by(FoodOrder.id.desc())).first()
        assert (round(order.lat, 6), round(order.lng, 6)) == pin
        assert order.address.startswith("Osing Kemiren Homestay")
        order_id = order.id
        fits(tourist)

        # The warung accepts and calls a courier (its own board is another test's story).
        with app.test_request_context():
            owner = find_by_email("owner@example.com")
            food.accept_order(order, by=owner)
            delivery_id = food.mark_ready(order, by=owner).id
            _db.session.commit()
        # The home page's banner leads back to the order.
        tourist.goto("/")
        tourist.locator("a.banner").first.click()
        expect(tourist).to_have_url(re.compile(rf"/orders/{order_id}$"))
        expect(tourist.locator(".courier-position")).to_have_count(0)  # no courier yet, no map
        tourist_pin = tourist.locator(".pin-code").inner_text().strip()

        # --- The courier, on the tourist's map ----------------------------------------------------
        # The driver's phone stands at the warung, takes the job and picks the food up.
        at_warung = {"latitude": warung.lat, "longitude": warung.lng}
        halfway = {"latitude": (warung.lat + pin[0]) / 2, "longitude": (warung.lng + pin[1]) / 2}
        driver.context.grant_permissions(["geolocation"], origin=live_server.url)
        driver.context.set_geolocation(at_warung)
        login(driver, "driver@example.com", DEMO_PASSWORD)
        driver.goto("/courier")
        driver.locator("#open-jobs article", has_text=warung.name).get_by_role("button").first.click()
        driver.goto(f"/courier/jobs/{delivery_id}")
        driver.get_by_role("button", name=t("On my way to pick up")).click()
        driver.get_by_role("button", name=t("Picked up")).click()
        expect(driver.locator(".position-share")).to_contain_text(
            t("Sharing your position with the customer while this job is open.")
        )

        eta = tourist.locator(".courier-eta")
        expect(eta).to_be_visible(timeout=20_000)  # the tracking block polls every 5 s
        canvas = tourist.locator(f"#courier-map-{delivery_id}")
        courier_dot = canvas.locator("path.courier-map-courier")
        expect(courier_dot).to_have_count(1)
        expect(canvas.locator("path.courier-map-dropoff")).to_have_count(1)
        expect(canvas.locator("img.leaflet-tile-loaded").first).to_be_visible()
        first_km, first_dot = km_to_go(eta.inner_text()), courier_dot.get_attribute("d")
        fits(tourist)
        SHOTS.mkdir(exist_ok=True)
        tourist.screenshot(path=str(SHOTS / f"story-courier-map-{lang}.png"), full_page=True)

        driver.context.set_geolocation(halfway)  # the courier rides towards Kemiren: the dot follows
        expect(courier_dot).not_to_have_attribute("d", first_dot, timeout=20_000)
        expect(eta).not_to_contain_text(f"{first_km:.1f}".replace(".", "," if lang == "id" else "."))
        assert km_to_go(eta.inner_text()) < first_km

        driver.locator("input[name=pin]").fill(tourist_pin)
        driver.locator("form[action$='/deliver'] button[type=submit]").click()
        expect(tourist.locator(".order-status")).to_contain_text(t("Delivered"), timeout=20_000)
        expect(tourist.locator(".courier-position")).to_have_count(0)  # the map goes with the job

        # --- An Ijen ride for another night, the night changed before any address --------------
        night = rides.next_bookable_night() + timedelta(days=1)
        tourist.goto("/rides")
        fits(tourist)
        tourist.get_by_role("button", name=t("See departures")).first.click()
        pickup = tourist.get_by_label(t("Pick-up address (homestay or hotel)"))
        expect(pickup).to_have_value("")
        tourist.wait_for_load_state()  # htmx listens once the deferred scripts ran
        tourist.get_by_label(t("Night of (the evening you set off)")).fill(night.isoformat())
        expect(tourist).to_have_url(re.compile(f"date={night.isoformat()}"))
        expect(tourist.locator("#night h2")).to_contain_text(f"{night.day} ")
        expect(pickup).to_have_value("")
        tourist.locator("#night input[name=departure]").first.check()
        pickup.fill("Osing Kemiren Homestay, Jl. Barong, Kemiren")
        fits(tourist)
        price = tourist.locator("#night form.booking-form button[type=submit]").inner_text()
        tourist.locator("#night form.booking-form button[type=submit]").click()
        expect(tourist.get_by_role("heading", name=t("Pay by card"))).to_be_visible()
        card = tourist.locator("#card-element")
        card.locator("input[placeholder=number]").fill("4242424242424242")
        card.locator("input[placeholder=exp_month]").fill("12")
        card.locator("input[placeholder=exp_year]").fill("31")
        card.locator("input[placeholder=cvc]").fill("123")
        card.locator("input[placeholder=postal_code]").fill("68411")
        amount = re.search(r"Rp[\d.]+", price).group(0)
        tourist.get_by_role("button", name=t("Pay %(amount)s", amount=amount)).click()
        expect(tourist.locator("#booking-status")).to_have_text(t("Confirmed"))
        fits(tourist)
        tourist.screenshot(path=str(SHOTS / f"story-ride-{lang}.png"), full_page=True)
    finally:
        tourist.context.close()
        driver.context.close()
    assert not tourist_errors, tourist_errors
    assert not driver_errors, driver_errors
