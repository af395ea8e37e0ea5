"""The map picker in Chromium: the fake tile server draws the map, the fake geocoder answers the
search (tests/maps_server.py); without JavaScript the address alone places the order."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal.accounts.services import find_by_email
from portal.extensions import db as _db
from portal.food import services as food
from portal.food.models import FoodOrder, Warung
from tests.browser.conftest import PHONE, assert_accessible, login, settle
from tests.browser.test_food import DEMO_PASSWORD, demo, transferred  # noqa: F401 - fixtures

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture
def tourist_cart(app, demo):  # noqa: F811 - the demo fixture
    with app.test_request_context():
        tourist = find_by_email("tourist@example.com")
        warung = _db.session.scalar(_db.select(Warung).where(Warung.slug == "sego-tempong-bu-sri"))
        food.add_to_cart(tourist, warung.dishes[0].id, 2)
        _db.session.commit()


def pin(page) -> tuple[float, float]:
    form = page.locator("form.checkout")
    return (
        float(form.locator("input[name=latitude]").input_value()),
        float(form.locator("input[name=longitude]").input_value()),
    )


def last_order() -> FoodOrder:
    _db.session.rollback()
    return _db.session.scalars(_db.select(FoodOrder).order_by(FoodOrder.id.desc())).first()


def test_search_then_drag_the_pin_and_order_there(app, page, tourist_cart, fake_maps):
    tiles_before = fake_maps.tiles.served
    login(page, "tourist@example.com", DEMO_PASSWORD)
    page.goto("/cart")
    picker = page.locator("[data-map-picker]")
    expect(picker.locator(".leaflet-container")).to_be_visible()
    expect(picker.locator("img.leaflet-tile-loaded").first).to_be_visible()
    assert fake_maps.tiles.served > tiles_before, "the tiles come from MAP_TILE_URL"
    expect(picker.get_by_text("Test tiles")).to_be_visible()  # MAP_ATTRIBUTION
    # No coordinates to type anywhere.
    expect(page.get_by_label("Latitude")).to_have_count(0)
    expect(page.locator("form.checkout input[name=latitude]")).to_have_attribute("type", "hidden")

    # Search through our server, which asks the fake geocoder.
    page.get_by_label("Search the map").fill("Pantai Boom")
    with page.expect_response(lambda r: "/maps/search" in r.url) as searched:
        page.get_by_label("Search the map").press("Enter")  # searches; does not submit the order
    assert searched.value.status == 200
    page.get_by_role("button", name=re.compile("^Pantai Boom, Kampung Mandar")).click()
    assert pin(page) == (-8.211, 114.379)
    expect(page.get_by_label("Homestay or hotel name and address")).to_have_value(re.compile("^Pantai Boom"))
    expect(picker.get_by_role("status")).to_contain_text("Pin set")

    # Drag the pin 60 px left and 40 px down: it lands south-west of the beach.
    picker.locator(".leaflet-container").scroll_into_view_if_needed()
    settle(page)
    box = picker.locator(".leaflet-marker-icon").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] - 4
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 30, y + 20, steps=5)
    page.mouse.move(x - 60, y + 40, steps=5)
    page.mouse.up()
    expect(page.locator("form.checkout input[name=latitude]")).not_to_have_value("-8.211000")
    lat, lng = pin(page)
    assert lat < -8.211 and lng < 114.379, (lat, lng)
    assert abs(lat + 8.211) < 0.01 and abs(lng - 114.379) < 0.01  # moved metres, not kilometres

    # A tap elsewhere moves it too.
    settle(page)
    canvas = picker.locator(".leaflet-container").bounding_box()
    page.mouse.click(canvas["x"] + canvas["width"] * 0.75, canvas["y"] + canvas["height"] * 0.25)
    tapped = pin(page)
    assert tapped[0] > lat and tapped[1] > lng, (tapped, lat, lng)

    SCREENSHOTS.mkdir(exist_ok=True)
    picker.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "checkout-map-390.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "nothing wider than the phone"
    assert_accessible(page)

    page.get_by_label("Cash to the courier").check()
    page.get_by_role("button", name="See the total with delivery").click()
    place = page.get_by_role("button", name=re.compile(r"Place order · Rp"))
    expect(place).to_be_visible()
    assert pin(page) == tapped  # the review keeps the pin (the fieldset is preserved)
    place.click()
    expect(page.get_by_role("heading", name=re.compile(r"^Order \d+$"))).to_be_visible()
    order = last_order()
    assert (round(order.lat, 6), round(order.lng, 6)) == tapped
    assert order.address.startswith("Pantai Boom")


def test_without_javascript_the_address_alone_places_the_order(app, browser, live_server, tourist_cart):
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, locale="en-US", java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        login(page, "tourist@example.com", DEMO_PASSWORD)
        page.goto("/cart")
        expect(page.locator("[data-map-tools]")).to_be_hidden()
        expect(page.get_by_role("textbox", name=re.compile("atitude|ongitude"))).to_have_count(0)
        # An address the geocoder does not know: asked again, what was typed is kept.
        page.get_by_label("Homestay or hotel name and address").fill("Rumah Pak Sugeng, dusun entah")
        page.get_by_label("Note for the driver (optional)").fill("pagar biru")
        page.get_by_label("Cash to the courier").check()
        page.get_by_role("button", name="See the total with delivery").click()
        expect(page.get_by_text("We could not find this address on the map")).to_be_visible()
        expect(page.get_by_label("Note for the driver (optional)")).to_have_value("pagar biru")

        page.get_by_label("Homestay or hotel name and address").fill("Osing Kemiren Homestay, Glagah")
        page.get_by_role("button", name="See the total with delivery").click()
        page.get_by_role("button", name=re.compile(r"Place order · Rp")).click()
        expect(page.get_by_role("heading", name=re.compile(r"^Order \d+$"))).to_be_visible()
        order = last_order()
        assert (order.lat, order.lng) == (-8.2127, 114.3204)  # the geocoder's place for that address
        assert order.address == "Osing Kemiren Homestay, Glagah"  # what the customer wrote
    finally:
        context.close()


def test_only_pages_with_a_map_load_it(page, tourist_cart):
    """The menu's first visit stays within its budget and fetches nothing of the map."""
    responses = []
    page.on("response", lambda r: responses.append(r))
    page.goto("/warungs/sego-tempong-bu-sri")
    page.wait_for_load_state("networkidle")
    total = sum(transferred(r) for r in responses)
    mapped = [r.url for r in responses if re.search(r"leaflet|map\.(js|css)|\.png", r.url)]
    print(f"menu first visit: {total} bytes, map files: {mapped}")
    assert not mapped
    assert total <= 60 * 1024

    login(page, "tourist@example.com", DEMO_PASSWORD)
    responses.clear()
    page.goto("/cart")
    page.wait_for_load_state("networkidle")
    names = {r.url.split("?")[0].rsplit("/", 1)[-1] for r in responses}
    assert {"leaflet.js", "leaflet.css", "map.js", "map.css"} <= names
    weight = sum(transferred(r) for r in responses if "/static/" in r.url)
    print(f"checkout first visit, static files: {weight} bytes (tiles apart)")
