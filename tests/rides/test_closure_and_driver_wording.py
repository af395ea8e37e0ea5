"""What the ride pages say when the park closes the route (the reason staff gave, in the tourist's
language, wherever a tourist meets the closure), and what the driver reads on their own page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from portal.extensions import db as _db
from portal.rides import services as rides
from portal.rides.models import BookingStatus
from tests.rides import factories as f

REASON_EN = "Toxic volcanic gas at the crater"
REASON_ID = "Gas vulkanik beracun di kawah"


@pytest.fixture
def night(app):
    return rides.next_bookable_night() + timedelta(days=2)


@pytest.fixture
def closed_booking(app, db, blue_fire, night):
    """A paid ride, then the park closes the route that night."""
    tourist = f.CustomerFactory(name="Emma Tourist")
    booking = f.paid_booking(app, blue_fire, night, customer=tourist)
    staff = f.CustomerFactory()
    db.session.commit()
    rides.close_route(first_night=night, last_night=night, reason_en=REASON_EN, reason_id=REASON_ID, by=staff)
    db.session.commit()
    return booking


def visible(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize(
    ("language", "reason", "said"),
    [
        ("en", REASON_EN, "The park closed the Ijen route that night: "),
        ("id", REASON_ID, "Taman nasional menutup jalur Ijen malam itu: "),
    ],
)
def test_the_tourists_closed_booking_says_why(auth, db, closed_booking, language, reason, said):
    tourist = closed_booking.customer
    tourist.locale = language
    db.session.commit()
    auth.login(tourist)
    page = visible(auth.client.get(f"/rides/bookings/{closed_booking.id}").get_data(as_text=True))
    assert said + reason in page
    other = REASON_ID if language == "en" else REASON_EN
    assert other not in page


def test_the_reason_stays_after_staff_lift_the_closure(auth, db, closed_booking):
    closure = rides.closure_of(closed_booking)
    rides.lift_closure(closure, by=closed_booking.customer)
    db.session.commit()
    auth.login(closed_booking.customer)
    page = visible(auth.client.get(f"/rides/bookings/{closed_booking.id}").get_data(as_text=True))
    assert f"The park closed the Ijen route that night: {REASON_EN}" in page


def test_an_open_booking_has_no_closure(app, db, blue_fire, night):
    booking = f.paid_booking(app, blue_fire, night)
    assert rides.closure_of(booking) is None


@pytest.mark.parametrize(("language", "reason"), [("en", REASON_EN), ("id", REASON_ID)])
def test_every_ride_page_a_tourist_sees_gives_the_reason(
    client, db, closed_booking, blue_fire, night, language, reason
):
    client.set_cookie("lang", language)
    assert reason in visible(client.get("/rides").get_data(as_text=True))
    package = visible(client.get(f"/rides/{blue_fire.slug}?date={night.isoformat()}").get_data(as_text=True))
    assert reason in package
    # Changing the night with htmx: the night's own section says why it cannot be booked.
    fragment = client.get(f"/rides/{blue_fire.slug}?date={night.isoformat()}", headers={"HX-Request": "true"})
    assert reason in visible(fragment.get_data(as_text=True))


def test_the_driver_reads_a_drivers_words_at_each_step(app, auth, db, blue_fire, night):
    driver = f.driver()
    tourist = f.CustomerFactory(name="Emma Tourist", phone="+6281299990000")
    booking = f.paid_booking(app, blue_fire, night, customer=tourist, driver_user=driver)
    auth.login(driver)
    page = auth.client.get("/rides/driver").get_data(as_text=True)
    assert '<a href="tel:+6281299990000">0812-9999-0000</a>' in page  # as written, dialled in full
    assert "Booked with you" in visible(page)

    rides.driver_move(
        booking, BookingStatus.DRIVER_ON_THE_WAY, by=driver, now=booking.pickup_at - timedelta(minutes=30)
    )
    db.session.commit()
    assert "On your way to the pick-up" in visible(auth.client.get("/rides/driver").get_data(as_text=True))
    auth.post(f"/rides/driver/rides/{booking.id}/riding", page="/rides/driver")
    page = visible(auth.client.get("/rides/driver").get_data(as_text=True))
    assert "Saved: Emma Tourist is on board. Ride safely to Paltuding." in page
    assert "Riding to Paltuding" in page and f"Ride {booking.id}" not in page

    driver.locale = "id"
    _db.session.commit()
    auth.logout()
    auth.login(driver)
    assert "Mengantar ke Paltuding" in visible(auth.client.get("/rides/driver").get_data(as_text=True))
    auth.post(f"/rides/driver/rides/{booking.id}/completed", page="/rides/driver")
    assert "Perjalanan selesai. Terima kasih!" in visible(auth.client.get("/rides/driver").get_data(as_text=True))
