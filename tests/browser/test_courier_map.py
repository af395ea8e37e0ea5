"""The courier on the customer's map, with Chromium's geolocation emulation: the driver's phone
(an emulated position) shares where it is while the job is open, the customer's tracking page
(already open, polling) shows the courier and an ETA that follows them, and the handover stops
the sharing."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from portal.accounts import demo as accounts_demo
from portal.accounts.services import find_by_email
from portal.couriers import demo, services
from portal.couriers.contract import Purpose
from portal.couriers.models import CourierPosition
from tests.browser.conftest import PHONE, assert_accessible, login
from tests.couriers.factories import make_job

# On Jl. Adi Sucipto, then nearer the homestay in Kemiren.
FIRST = {"latitude": -8.2160, "longitude": 114.3550}
NEARER = {"latitude": -8.2110, "longitude": 114.3350}
SHOTS = Path(__file__).resolve().parents[2] / "test-results"


def test_the_drivers_phone_reaches_the_customers_map(page, browser, live_server, db, app):
    app.config["COURIER_POSITION_INTERVAL"] = 1  # the phone sends every second instead of every 15
    accounts_demo.seed()
    demo.seed()
    driver = find_by_email("driver@example.com")
    customer = find_by_email("resident@example.com")
    driver.locale = customer.locale = "en"
    services.driver_profile(driver).online = True
    delivery = services.request_delivery(make_job(Purpose.FOOD), origin_id=1, customer=customer)
    db.session.commit()
    services.accept_job(delivery, driver=driver)
    db.session.commit()
    delivery_id = delivery.id

    # The customer watches the tracking page on their own phone: no position yet, no estimate.
    customer_context = browser.new_context(viewport=PHONE, base_url=live_server.url, locale="en-US")
    watcher = customer_context.new_page()
    login(watcher, "resident@example.com", accounts_demo.DEMO_PASSWORD)
    watcher.goto(f"/deliveries/{delivery_id}")
    expect(watcher.locator(".tracking-courier")).to_contain_text("Pak Hasan")
    expect(watcher.locator(".courier-position")).to_have_count(0)

    # The driver's phone: location allowed, standing on Jl. Adi Sucipto.
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation(FIRST)
    login(page, "driver@example.com", accounts_demo.DEMO_PASSWORD)
    page.goto(f"/courier/jobs/{delivery_id}")
    expect(page.locator(".position-share")).to_contain_text("Sharing your position with the customer")
    assert_accessible(page)

    eta = watcher.locator(".courier-eta")
    expect(eta).to_contain_text("Arrives around", timeout=15_000)
    expect(watcher.locator(".courier-seen")).to_contain_text("Courier last seen at")
    first_km = float(re.search(r"([\d.]+) km to go", eta.inner_text()).group(1))
    # The map: Leaflet loaded on demand, the test tile server's tiles, the courier, the warung and
    # the drop-off as dots, and a legend that names them.
    canvas = watcher.locator(f"#courier-map-{delivery_id}")
    courier_dot = canvas.locator("path.courier-map-courier")
    expect(courier_dot).to_have_count(1)
    expect(canvas.locator("path.courier-map-pickup")).to_have_count(1)
    expect(canvas.locator("path.courier-map-dropoff")).to_have_count(1)
    expect(canvas.locator("img.leaflet-tile-loaded").first).to_be_visible()
    expect(watcher.locator(".courier-map-legend")).to_contain_text("Warung Bu Sri")
    first_dot = courier_dot.get_attribute("d")
    canvas.evaluate("el => { el.dataset.drawnOnce = 'yes'; }")
    assert_accessible(watcher)
    watcher.screenshot(path=str(SHOTS / "courier-map-customer.png"), full_page=True)

    # The driver rides on; the customer's page follows (a new position, a new ETag, a new answer):
    # the same map (kept across the poll), its courier dot moved.
    page.context.set_geolocation(NEARER)
    expect(eta).not_to_contain_text(f"{first_km:.1f} km to go", timeout=15_000)
    assert float(re.search(r"([\d.]+) km to go", eta.inner_text()).group(1)) != first_km
    expect(courier_dot).not_to_have_attribute("d", first_dot)
    assert canvas.get_attribute("data-drawn-once") == "yes"

    # Handover: picked up, delivered. The page stops asking the phone; the customer's map goes.
    page.get_by_role("button", name="Picked up").click()
    page.get_by_role("button", name="Delivered").click()
    expect(page.get_by_text("Delivered. Thank you!")).to_be_visible()
    expect(watcher.locator(".tracking-status")).to_contain_text("Delivered", timeout=15_000)
    expect(watcher.locator(".courier-position")).to_have_count(0)
    db.session.rollback()  # end this test's read snapshot: the server committed since
    stored = db.session.query(CourierPosition).filter_by(delivery_id=delivery_id).count()
    page.context.set_geolocation(FIRST)
    page.wait_for_timeout(2_000)
    db.session.rollback()
    assert db.session.query(CourierPosition).filter_by(delivery_id=delivery_id).count() == stored >= 2
    customer_context.close()
