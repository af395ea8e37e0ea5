"""A tourist books tomorrow night's blue fire in Chromium on a phone, pays by card, sees the
assigned driver; the driver sees the ride; the admin closes the route and the tourist sees the
refund. Every page axe-clean."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.accounts.models import Role
from portal.maps import services as maps
from portal.rides import services as rides
from portal.rides.models import BookingStatus, RideBooking
from tests.browser.conftest import assert_accessible, login, pay_by_card, settle
from tests.factories import DEMO_PASSWORD, UserFactory
from tests.rides import factories as f


def switch_user(page, email: str) -> None:
    page.context.clear_cookies()
    login(page, email, DEMO_PASSWORD)


@pytest.fixture
def two_nights(db):
    """The blue fire with a free driver on two nights, two days apart: (first, second)."""
    f.package()
    first = rides.next_bookable_night() + timedelta(days=1)
    second = first + timedelta(days=2)
    f.available(f.driver(), first)
    f.available(f.driver(), second)
    db.session.commit()
    return first, second


def sign_in_rina(db, page, **fields):
    """An English-speaking tourist, signed in."""
    rina = UserFactory(email="rina@example.com", locale="en", **fields)
    db.session.commit()
    login(page, "rina@example.com", DEMO_PASSWORD)
    return rina


def test_book_pay_ride_and_close_the_route(app, db, page):
    f.package()
    tomorrow = rides.tonight() + timedelta(days=1)
    driver = f.driver()
    driver.name, driver.email = "Pak Hasan", "hasan@example.com"
    f.available(driver, tomorrow)
    f.available(f.driver(), tomorrow + timedelta(days=1))
    UserFactory(email="emma@example.com", name="Emma Tourist", locale="en", phone="+6281100000006")
    UserFactory(email="admin@example.com", locale="en", roles=[Role.ADMIN])
    db.session.commit()

    # The tourist finds the ride and picks tomorrow night.
    login(page, "emma@example.com", DEMO_PASSWORD)
    page.goto("/rides")
    expect(page.get_by_role("heading", name="Ijen trail rides")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="See departures").click()
    # htmx listens once the deferred scripts ran: a change before that sends nothing (CI, loaded).
    page.wait_for_load_state()
    page.get_by_label("Night of (the evening you set off)").fill(tomorrow.isoformat())
    night_heading = page.locator("#night h2")
    expect(night_heading).to_contain_text(str(tomorrow.year))
    expect(page.locator("#night")).to_contain_text("00:30 WIB")
    expect(page.locator("#night")).to_contain_text("1 seat free")
    assert f"date={tomorrow.isoformat()}" in page.url  # the address follows the date (hx-push-url)
    page.get_by_label("Pick-up 00:30 WIB").check()
    page.get_by_label("Pick-up address (homestay or hotel)").fill("Homestay Kemiren, Jl. Barong 3, Glagah")
    expect(page.get_by_text("Full refund if you cancel at least 24 hours before pick-up.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Hold my seat and pay Rp350.000").click()

    # The shared card page, then back to the booking, confirmed with a named driver.
    expect(page.get_by_role("heading", name="Pay by card")).to_be_visible()
    pay_by_card(page, "Rp350.000")
    expect(page.locator("#booking-status")).to_have_text("Confirmed")
    expect(page.locator("#driver-name")).to_have_text("Pak Hasan")
    expect(page.get_by_text("Trail bike, plate P 1234 AB")).to_be_visible()
    expect(page.get_by_text("WIB").first).to_be_visible()
    assert_accessible(page)
    booking_url = page.url
    db.session.rollback()
    booking = db.session.scalar(db.select(RideBooking))
    assert booking.state == BookingStatus.CONFIRMED and booking.driver_id == driver.id

    # The driver sees the ride with the pick-up address and the tourist's phone.
    switch_user(page, "hasan@example.com")
    page.goto("/rides/driver")
    expect(page.get_by_text("Homestay Kemiren, Jl. Barong 3, Glagah")).to_be_visible()
    expect(page.get_by_role("link", name="0811-0000-0006")).to_be_visible()
    expect(page.get_by_role("button", name="On my way")).to_be_visible()
    assert_accessible(page)

    # The admin closes the route for that night.
    switch_user(page, "admin@example.com")
    page.goto("/rides/admin/closures")
    page.get_by_label("First night closed").fill(tomorrow.isoformat())
    page.get_by_label("Last night closed").fill(tomorrow.isoformat())
    page.get_by_label("Reason (English)").fill("Volcanic activity: the park is closed")
    page.get_by_label("Reason (Indonesian)").fill("Aktivitas vulkanik: taman ditutup")
    page.get_by_label("I understand").check()
    assert_accessible(page)
    page.get_by_role("button", name="Close the route").click()
    expect(page.get_by_text("1 bookings were cancelled, refunded and notified")).to_be_visible()
    assert_accessible(page)
    page.goto("/rides/admin/packages")
    page.get_by_role("link", name="Blue fire").click()
    expect(page.get_by_label("Pick-up times, WIB (e.g. 00:30, 01:00, 01:30)")).to_have_value("00:30, 01:00, 01:30")
    assert_accessible(page)

    # The tourist sees the refund, and the banner on /rides.
    switch_user(page, "emma@example.com")
    page.goto(booking_url)
    expect(page.locator("#booking-status")).to_have_text("Route closed")
    expect(page.get_by_text("Refunded: Rp350.000.")).to_be_visible()
    assert_accessible(page)
    page.goto("/rides")
    expect(page.get_by_role("alert")).to_contain_text("Volcanic activity: the park is closed")


def test_a_full_night_offers_the_waitlist(app, db, page):
    package = f.package()
    night = rides.next_bookable_night() + timedelta(days=1)
    f.available(f.driver(), night)
    rides.book_ride(
        UserFactory(),
        package=package,
        departure=package.active_departures[0],
        night=night,
        pickup_address="Homestay 1",
        token="x",
    )
    UserFactory(email="lena@example.com", locale="en")
    db.session.commit()
    login(page, "lena@example.com", DEMO_PASSWORD)
    page.goto(f"/rides/blue-fire?date={night.isoformat()}")
    expect(page.get_by_text("Full", exact=True).first).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Join the waitlist").click()
    expect(page.get_by_text("You are number 1 on the waitlist").first).to_be_visible()
    expect(page.get_by_role("button", name="Leave the waitlist")).to_be_visible()
    assert_accessible(page)


def test_a_night_without_departures_moves_to_one_with_them(app, db, page):
    """The night picker sends a typed address along; on a night without departures there is no
    address field, and the change must still go through cleanly (no browser error)."""
    f.package()
    empty = rides.next_bookable_night() + timedelta(days=1)
    f.available(f.driver(), empty + timedelta(days=1))
    UserFactory(email="rina@example.com", locale="en")
    db.session.commit()
    login(page, "rina@example.com", DEMO_PASSWORD)
    page.goto(f"/rides/blue-fire?date={empty.isoformat()}")
    expect(page.locator("#night h2")).to_be_visible()
    expect(page.get_by_label("Pick-up address (homestay or hotel)")).to_have_count(0)
    page.get_by_label("Night of (the evening you set off)").fill((empty + timedelta(days=1)).isoformat())
    expect(page.locator("#night")).to_contain_text("1 seat free")
    expect(page.get_by_label("Pick-up address (homestay or hotel)")).to_be_visible()


def test_changing_the_night_before_typing_an_address_shows_that_night(app, db, page, two_nights):
    """The booking form's pick-up address is required; an empty one must not stop the night
    picker (htmx validates what a form includes)."""
    first, second = two_nights
    sign_in_rina(db, page)
    page.goto(f"/rides/blue-fire?date={first.isoformat()}")
    address = page.get_by_label("Pick-up address (homestay or hotel)")
    expect(address).to_be_visible()
    expect(address).to_have_value("")
    page.get_by_label("Night of (the evening you set off)").fill(second.isoformat())
    expect(page.locator("#night h2")).to_contain_text(f"{second.day} ")
    assert f"date={second.isoformat()}" in page.url
    expect(page.locator("#night")).to_contain_text("1 seat free")
    assert_accessible(page)


def test_typing_while_the_new_night_loads_loses_nothing(app, db, page, two_nights):
    """On a slow connection the tourist changes the night and starts typing at once: the address
    field waits for the new night instead of taking text the swap would wipe, and the booking
    goes to the night chosen, not the one just left."""
    first, second = two_nights
    sign_in_rina(db, page, phone="+6281100000008")
    page.goto(f"/rides/blue-fire?date={first.isoformat()}")
    address = page.get_by_label("Pick-up address (homestay or hotel)")
    expect(address).to_be_enabled()

    held = []  # the new night's response, held back like a slow connection
    page.route(lambda url: f"date={second.isoformat()}" in url, lambda route: held.append(route))
    page.get_by_label("Night of (the evening you set off)").fill(second.isoformat())
    expect(address).to_be_disabled()
    expect(page.get_by_role("button", name="Hold my seat and pay Rp350.000")).to_be_disabled()
    assert len(held) == 1
    held[0].continue_()
    address.fill("Homestay Kemiren, Jl. Barong 3, Glagah")  # into the new night's field
    expect(page.locator("#night h2")).to_contain_text(f"{second.day} ")
    expect(address).to_have_value("Homestay Kemiren, Jl. Barong 3, Glagah")
    page.unroute_all()
    page.get_by_role("button", name="Hold my seat and pay Rp350.000").click()
    expect(page.get_by_role("heading", name="Pay by card")).to_be_visible()
    db.session.rollback()
    booking = db.session.scalar(db.select(RideBooking))
    assert booking.night == second and booking.pickup_address.startswith("Homestay Kemiren")


def test_changing_the_night_without_javascript(app, db, browser, live_server, two_nights):
    """The night picker is a plain GET form: its button shows the chosen night."""
    first, second = two_nights
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url, locale="en-US")
    page = context.new_page()
    page.goto(f"/rides/blue-fire?date={first.isoformat()}")  # a visitor: Indonesian pages
    page.get_by_label("Malam (sore/malam Anda berangkat)").fill(second.isoformat())
    page.get_by_role("button", name="Tampilkan keberangkatan").click()
    expect(page.locator("#night h2")).to_contain_text(f"{second.day} ")
    assert f"date={second.isoformat()}" in page.url
    expect(page.locator("#night")).to_contain_text("1 kursi kosong")
    context.close()


def test_without_javascript_booking_holds_no_seat(app, db, browser, live_server):
    """The card page needs JavaScript: without it the tourist is told so, and the seat stays on sale."""
    f.package()
    night = rides.next_bookable_night() + timedelta(days=1)
    f.available(f.driver(), night)
    UserFactory(email="rina@example.com", locale="en", phone="+6281100000007")
    db.session.commit()
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url, locale="en-US")
    page = context.new_page()
    login(page, "rina@example.com", DEMO_PASSWORD)
    page.goto(f"/rides/blue-fire?date={night.isoformat()}")
    # (Playwright only stops scripts; the page still parses as scripting-on, so <noscript> stays hidden here.)
    page.get_by_label("Pick-up address (homestay or hotel)").fill("Homestay Kemiren")
    page.get_by_role("button", name="Hold my seat and pay Rp350.000").click()
    expect(page.get_by_role("alert").filter(has_text="no seat was held")).to_be_visible()
    expect(page.get_by_label("Pick-up address (homestay or hotel)")).to_have_value("Homestay Kemiren")
    expect(page.locator("#night")).to_contain_text("1 seat free")
    db.session.rollback()
    assert db.session.query(RideBooking).count() == 0
    context.close()


def test_the_pick_up_pin_is_set_on_the_map_and_follows_a_change_of_night(app, db, page, two_nights):
    """A tourist booking from abroad cannot use "my location": they search their homestay on the
    map, tap beside it, look at two other nights (one full), and the pin they set is the one the
    driver gets."""
    first, second = two_nights
    sign_in_rina(db, page, phone="+6281100000009")
    page.goto(f"/rides/blue-fire?date={first.isoformat()}")
    picker = page.locator("[data-map-picker]")
    expect(picker.locator("img.leaflet-tile-loaded").first).to_be_visible()
    expect(page.get_by_label("Latitude")).to_have_count(0)  # nothing to type in degrees

    page.get_by_label("Search the map").fill("Pondok Ijen")
    page.get_by_label("Search the map").press("Enter")
    page.get_by_role("button", name=re.compile("^Pondok Ijen Homestay")).click()
    latitude = page.locator("#night input[name=latitude]")
    expect(latitude).to_have_value("-8.168800")
    expect(page.get_by_label("Pick-up address (homestay or hotel)")).to_have_value(re.compile("^Pondok Ijen Homestay"))
    settle(page)
    canvas = picker.locator(".leaflet-container").bounding_box()
    page.mouse.click(canvas["x"] + canvas["width"] * 0.6, canvas["y"] + canvas["height"] * 0.4)  # beside it
    expect(latitude).not_to_have_value("-8.168800")
    tapped = (float(latitude.input_value()), float(page.locator("#night input[name=longitude]").input_value()))
    assert_accessible(page)

    # Through the night between, where nobody drives (no booking form), to the second one.
    between = first + timedelta(days=1)
    page.get_by_label("Night of (the evening you set off)").fill(between.isoformat())
    expect(page.locator("#night h2")).to_contain_text(f"{between.day} ")
    expect(page.get_by_role("button", name="Hold my seat and pay Rp350.000")).to_have_count(0)
    page.get_by_label("Night of (the evening you set off)").fill(second.isoformat())
    expect(page.locator("#night h2")).to_contain_text(f"{second.day} ")
    expect(latitude).to_have_value(f"{tapped[0]:.6f}")  # the new night's form, drawn with the pin
    expect(page.locator("#night .leaflet-marker-icon")).to_be_visible()
    expect(page.get_by_label("Pick-up address (homestay or hotel)")).to_have_value(re.compile("^Pondok Ijen Homestay"))
    page.get_by_role("button", name="Hold my seat and pay Rp350.000").click()
    expect(page.get_by_role("heading", name="Pay by card")).to_be_visible()
    db.session.rollback()
    booking = db.session.scalar(db.select(RideBooking))
    assert booking.night == second
    assert (round(booking.latitude, 6), round(booking.longitude, 6)) == tapped


def test_an_edited_saved_address_follows_a_change_of_night(app, db, page, two_nights):
    """A page opened with a saved address carries it for browsers without JavaScript; with it,
    what the tourist typed since is what the next night shows, not that first copy."""
    first, second = two_nights
    rina = sign_in_rina(db, page)
    saved = maps.save_address(rina, "Homestay", "Homestay Kemiren, Jl. Barong 3, Glagah", -8.2127, 114.3312)
    db.session.commit()
    page.goto(f"/rides/blue-fire?date={first.isoformat()}&saved={saved.id}")
    address = page.get_by_label("Pick-up address (homestay or hotel)")
    expect(address).to_have_value("Homestay Kemiren, Jl. Barong 3, Glagah")
    page.wait_for_load_state()
    address.fill("Homestay Kemiren, room 4, Jl. Barong 3, Glagah")
    page.get_by_label("Night of (the evening you set off)").fill(second.isoformat())
    expect(page.locator("#night h2")).to_contain_text(f"{second.day} ")
    expect(address).to_have_value("Homestay Kemiren, room 4, Jl. Barong 3, Glagah")
    expect(page.locator("#night input[name=latitude]")).to_have_value("-8.212700")
