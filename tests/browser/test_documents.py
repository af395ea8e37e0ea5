"""A resident asks for their KTP-el to be delivered (also with JavaScript off), the MPP clerk
verifies it, marks it ready and hands it to a courier, the demo driver hands it over with the
resident's PIN, and the resident sees it delivered and on "my activity".

Prints how many pages and seconds the resident's request took (the issue's "done when")."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from portal.accounts import demo as accounts_demo
from portal.accounts.services import find_by_email
from portal.couriers import demo as couriers_demo
from portal.couriers import services as couriers
from portal.documents.models import DocumentRequest
from portal.extensions import db as _db
from tests.browser.conftest import PHONE, assert_accessible, login, settle

PASSWORD = accounts_demo.DEMO_PASSWORD


def set_the_pin_on_the_map(page) -> tuple[float, float]:
    """On the address question: search the map (our /maps/search asks the fake geocoder), pick
    the place, drag the pin, then tap the map; return where the pin ended."""
    picker = page.locator("[data-map-picker]")
    expect(picker.locator(".leaflet-container")).to_be_visible()  # drawn once the deferred scripts ran
    expect(picker.locator("img.leaflet-tile-loaded").first).to_be_visible()
    expect(page.get_by_label("Latitude")).to_have_count(0)  # no coordinates to type

    page.get_by_label("Search the map").fill("Jalan Kepiting")
    with page.expect_response(lambda r: "/maps/search" in r.url) as searched:
        page.get_by_label("Search the map").press("Enter")  # searches; does not send the question
    assert searched.value.status == 200
    page.get_by_role("button", name=re.compile("^Jalan Kepiting, Sobo")).click()
    assert pin(page) == (-8.211, 114.3612)
    expect(picker.get_by_role("status")).to_contain_text("Pin set")
    # The address stays as typed (as on the KK): a found place does not overwrite it.
    expect(page.get_by_label("Delivery address, exactly as on the Kartu Keluarga")).to_have_value(
        re.compile("^Jl. Kepiting No. 12")
    )

    # Drag the pin 60 px left and 40 px down (with the map in the middle of the screen, clear of
    # the tab bar): it lands south-west of the place found, metres away.
    picker.locator(".leaflet-container").evaluate("e => e.scrollIntoView({block: 'center'})")
    settle(page)
    box = picker.locator(".leaflet-marker-icon").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] - 4
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 30, y + 20, steps=5)
    page.mouse.move(x - 60, y + 40, steps=5)
    page.mouse.up()
    expect(page.locator("input[name=latitude]")).not_to_have_value("-8.211000")
    lat, lng = pin(page)
    assert lat < -8.211 and lng < 114.3612, (lat, lng)
    assert abs(lat + 8.211) < 0.01 and abs(lng - 114.3612) < 0.01, (lat, lng)

    # A tap elsewhere on the map moves it there.
    settle(page)
    canvas = picker.locator(".leaflet-container").bounding_box()
    page.mouse.click(canvas["x"] + canvas["width"] * 0.75, canvas["y"] + canvas["height"] * 0.25)
    tapped = pin(page)
    assert tapped[0] > lat and tapped[1] > lng, (tapped, lat, lng)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "nothing wider than the phone"
    return tapped


def pin(page) -> tuple[float, float]:
    return (
        float(page.locator("input[name=latitude]").input_value()),
        float(page.locator("input[name=longitude]").input_value()),
    )


def request_ktp_el(
    page, *, serial: str = "0042", check_accessibility: bool = True, javascript: bool = True
) -> tuple[str, int, float]:
    """Answer every question; return the reference, the pages seen and the seconds taken.

    Each request needs its own registration number: a second open request for the same one is refused.
    With JavaScript the pin is set on the map; without, the address alone finds it."""
    pages = 0
    pinned = None

    def counted(response) -> None:
        nonlocal pages
        if response.request.resource_type == "document" and response.request.method == "GET":
            pages += 1

    page.on("response", counted)
    started = time.monotonic()

    def step(check=None) -> None:
        if check_accessibility:
            assert_accessible(page)
        if check:
            check()

    page.goto("/documents")
    page.get_by_role("button", name="Request a delivery").click()
    expect(page.get_by_role("heading", name="Which document should we deliver?")).to_be_visible()
    step()
    page.get_by_label("KTP-el (electronic identity card)").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("link", name="← Back")).to_be_visible()
    page.get_by_label("Your MPP registration number").fill(f"3510 20261204 {serial}")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("There is a problem")).to_be_visible()  # a refusal keeps what was typed
    expect(page.get_by_label("Your MPP registration number")).to_have_value(f"3510 20261204 {serial}")
    step()
    page.get_by_label("Your MPP registration number").fill(f"3510-20261204-{serial}")
    page.get_by_role("button", name="Continue").click()

    page.get_by_label("Holder's full name, as on the KK").fill("Budi Santoso")
    page.get_by_label("Holder's NIK (16 digits)").fill("3510012505880002")
    page.get_by_label("Kartu Keluarga number (16 digits)").fill("3510010101200003")
    step()
    page.get_by_role("button", name="Continue").click()

    page.get_by_label("Delivery address, exactly as on the Kartu Keluarga").fill(
        "Jl. Kepiting No. 12, RT 02 RW 01, Kel. Sobo, Kec. Banyuwangi"
    )
    if javascript:
        pinned = set_the_pin_on_the_map(page)
    # Without JavaScript there is no map (Chromium does not even fetch its scripts): the server
    # finds the address, and the fake geocoder knows Jalan Kepiting.
    step()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_label("Your phone number")).to_have_value("0811-0000-0007")  # the account's
    step()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_label("Only the holder")).to_be_checked()  # the default for a KTP-el
    step()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Check your answers before sending your request")).to_be_visible()
    expect(page.get_by_text("3510********0002")).to_be_visible()
    step()
    page.get_by_role("button", name="Send request").click()

    expect(page.get_by_role("heading", name="Request sent")).to_be_visible()
    reference = page.locator("#reference").inner_text()
    seconds = time.monotonic() - started
    step()
    page.remove_listener("response", counted)
    assert re.fullmatch(r"MPP-\d{4}-\d{6}", reference)
    saved = where(reference)
    # The map's pin (to the metre the hidden inputs carry), or the geocoder's place for the address.
    assert saved == (pinned or (-8.211, 114.3612)), saved
    return reference, pages, seconds


def where(reference: str) -> tuple[float, float]:
    _db.session.rollback()
    request = _db.session.scalar(_db.select(DocumentRequest).where(DocumentRequest.reference == reference))
    return round(request.lat, 6), round(request.lng, 6)


def test_a_ktp_el_from_request_to_the_door(page, browser, live_server, db):
    accounts_demo.seed()
    couriers_demo.seed()
    for email in ("resident@example.com", "clerk@example.com", "driver@example.com"):
        find_by_email(email).locale = "en"
    couriers.driver_profile(find_by_email("driver@example.com")).online = False
    db.session.commit()

    # The resident, without JavaScript: every page is a plain form.
    plain = browser.new_context(
        viewport=PHONE, base_url=live_server.url, locale="en-US", java_script_enabled=False
    ).new_page()
    plain.set_default_timeout(10_000)
    login(plain, "resident@example.com", PASSWORD)
    reference, pages, seconds = request_ktp_el(plain, serial="0043", check_accessibility=False, javascript=False)
    print(f"\nresident's KTP-el request without JavaScript: {pages} pages, {seconds:.1f} s ({reference})")
    plain.context.close()

    # The same resident on a phone with JavaScript.
    login(page, "resident@example.com", PASSWORD)
    reference, pages, seconds = request_ktp_el(page)
    print(f"resident's KTP-el request with JavaScript: {pages} pages, {seconds:.1f} s ({reference})")
    page.get_by_role("link", name="Follow your request").click()
    expect(page.locator("#document-status")).to_have_text("Submitted, waiting for the MPP to check it")
    request_url = page.url

    # The clerk works the queue.
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url, locale="en-US")
    desk.set_default_timeout(10_000)
    clerk = desk.new_page()
    login(clerk, "clerk@example.com", PASSWORD)
    clerk.goto("/office/documents")
    expect(clerk.get_by_role("heading", name="Document requests")).to_be_visible()
    assert_accessible(clerk)
    clerk.get_by_role("link", name=reference).click()
    expect(clerk.locator(".full-nik")).to_have_text("3510012505880002")
    assert_accessible(clerk)
    clerk.get_by_role("button", name="Verify").click()
    expect(clerk.get_by_text(f"{reference} verified")).to_be_visible()
    clerk.get_by_role("button", name="Mark ready").click()
    expect(clerk.get_by_text(f"{reference} is ready.")).to_be_visible()
    assert_accessible(clerk)
    clerk.get_by_role("button", name="Hand to courier").click()
    expect(clerk.get_by_text(f"{reference} handed to a courier")).to_be_visible()
    assert_accessible(clerk)
    desk.close()

    # The resident's page shows the PIN (it polls; a reload is what a person would do too).
    page.goto(request_url)
    pin = page.locator("#handover-pin").inner_text()
    assert re.fullmatch(r"\d{4,6}", pin)
    assert_accessible(page)

    # The demo driver takes the job and hands it over with the PIN.
    road = browser.new_context(viewport=PHONE, base_url=live_server.url, locale="en-US")
    road.set_default_timeout(10_000)
    driver = road.new_page()
    login(driver, "driver@example.com", PASSWORD)
    driver.goto("/courier")
    driver.get_by_role("button", name="Go online").click()
    open_jobs = driver.locator("#open-jobs")
    expect(open_jobs).to_contain_text("Mal Pelayanan Publik Banyuwangi")
    open_jobs.get_by_role(
        "button", name=re.compile(r"^Accept: Documents: Mal Pelayanan Publik Banyuwangi → ")
    ).first.click()
    expect(driver.get_by_text("The job is yours.")).to_be_visible()
    driver.get_by_role("button", name="Picked up").click()
    expect(page.locator("#document-status")).to_have_text("On its way with the courier", timeout=15_000)
    driver.get_by_label("Who took it?").select_option("Budi Santoso")  # a KTP-el: only the holder
    driver.get_by_label("Recipient's PIN").fill(pin)
    driver.get_by_role("button", name="Delivered").click()
    expect(driver.get_by_text("Delivered. Thank you!")).to_be_visible()
    road.close()

    expect(page.locator("#document-status")).to_have_text("Delivered", timeout=15_000)
    assert_accessible(page)
    page.goto("/my/activity")
    expect(page.get_by_text(reference).first).to_be_visible()
    assert_accessible(page)
