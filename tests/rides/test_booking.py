"""Booking over HTTP: the night's departures, the hold, the card, the confirmed driver; bad input."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from portal.couriers.contract import Purpose
from portal.couriers.models import DeliveryStatus
from portal.couriers.services import find_delivery
from portal.database import utcnow
from portal.payments.models import Payment, PaymentStatus
from portal.rides import services as rides
from portal.rides.models import BookingStatus, RideBooking
from tests.rides import factories as f


@pytest.fixture
def night(app):
    return rides.next_bookable_night() + timedelta(days=2)


@pytest.fixture
def trail_driver(db, night):
    driver = f.driver()
    f.available(driver, night)
    db.session.commit()
    return driver


def booking_form(auth, package, night, **extra):
    page = f"/rides/{package.slug}?date={night.isoformat()}"
    html = auth.client.get(page).get_data(as_text=True)
    token = re.search(r'name="token"[^>]*value="([^"]+)"', html) or re.search(r'value="([^"]+)"[^>]*name="token"', html)
    data = {
        "package": package.slug,
        "date": night.isoformat(),
        "departure": str(package.active_departures[0].id),
        "pickup_address": "Homestay Ijen Asri, Jl. Ketapang 7, Banyuwangi",
        "latitude": "-8.2090",
        "longitude": "114.3290",
        "token": token.group(1) if token else "x",
    }
    data.update(extra)
    return page, data


def test_the_night_page_says_both_dates_in_wib(client, blue_fire, trail_driver, night):
    client.set_cookie("lang", "en")
    html = client.get(f"/rides/blue-fire?date={night.isoformat()}").get_data(as_text=True)
    day_after = night + timedelta(days=1)
    assert "Night of" in html and str(night.day) in html
    assert "00:30 WIB" in html
    # Day before month (never "December 15, 2026"), the night by its evening.
    assert f"{day_after.strftime('%A')} {day_after.day} {day_after.strftime('%B')} {day_after.year}" in html
    assert f"Night of {night.strftime('%A')} {night.day} {night.strftime('%B')}" in html
    assert "1 seat free" in html


def test_indonesian_names_the_night_by_its_evening(client, blue_fire, trail_driver, night):
    """*Malam Kamis* is Wednesday evening to most Indonesians: the night starting on Thursday
    evening is "Kamis malam", and its 00:30 pick-up falls on Friday."""
    days = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
    client.set_cookie("lang", "id")
    html = client.get(f"/rides/blue-fire?date={night.isoformat()}").get_data(as_text=True)
    evening, after = days[night.weekday()], days[(night + timedelta(days=1)).weekday()]
    assert f"<h2>{evening} malam, {night.day} " in html
    assert f"Malam {evening}" not in html and f"malam {evening}" not in html
    assert "Jemput 00.30 WIB" in html and f"{after}, {(night + timedelta(days=1)).day} " in html
    assert f"(dini hari setelah {evening} malam, {night.day} " in html


def test_the_date_changes_by_htmx_as_a_fragment(client, blue_fire, trail_driver, night):
    response = client.get(f"/rides/blue-fire?date={night.isoformat()}", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<section id="night"')
    assert "<html" not in html


def test_book_pay_and_see_the_driver(app, auth, db, customer, blue_fire, trail_driver, night):
    auth.login(customer)
    page, data = booking_form(auth, blue_fire, night)
    response = auth.post("/rides/bookings", data, page=page)
    assert response.status_code == 302
    booking = db.session.scalar(select(RideBooking))
    assert response.headers["Location"].endswith(f"/payments/{rides.payment_of(booking).id}/pay")
    assert booking.state == BookingStatus.AWAITING_PAYMENT and booking.driver_id == trail_driver.id
    waiting = auth.client.get(f"/rides/bookings/{booking.id}").get_data(as_text=True)
    assert "Awaiting payment" in waiting and "Full refund if you cancel at least 24 hours" in waiting
    assert trail_driver.name not in waiting  # the driver is named once paid

    f.pay(app, booking)
    db.session.commit()
    assert booking.state == BookingStatus.CONFIRMED
    delivery = find_delivery(Purpose.RIDE, booking.id)
    assert delivery.status == DeliveryStatus.DRIVER_ASSIGNED and delivery.courier_id == trail_driver.id
    assert delivery.window_start == booking.pickup_at

    response = auth.client.get(f"/rides/bookings/{booking.id}")
    html = response.get_data(as_text=True)
    assert "Confirmed" in html and trail_driver.name in html and "P 1234 AB" in html
    assert "WIB" in html
    etag = response.headers["ETag"]
    again = auth.client.get(f"/rides/bookings/{booking.id}", headers={"If-None-Match": etag, "HX-Request": "true"})
    assert again.status_code == 304

    activity = auth.client.get("/my/activity").get_data(as_text=True)
    assert "Ijen ride" in activity and f"/rides/bookings/{booking.id}" in activity


def test_a_double_submitted_form_makes_one_booking(auth, db, customer, blue_fire, trail_driver, night):
    f.available(f.driver(), night)
    db.session.commit()
    auth.login(customer)
    page, data = booking_form(auth, blue_fire, night)
    first = auth.post("/rides/bookings", data, page=page)
    second = auth.post("/rides/bookings", data, page=page)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(select(func.count(RideBooking.id))) == 1
    assert db.session.scalar(select(func.count(Payment.id))) == 1


def test_a_full_night_answers_full_and_offers_the_waitlist(auth, db, customer, blue_fire, trail_driver, night):
    f.book(f.CustomerFactory(), blue_fire, night, address="Somewhere 1", token="a")
    db.session.commit()
    auth.login(customer)
    page, data = booking_form(auth, blue_fire, night)
    response = auth.post("/rides/bookings", data, page=page)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Full: every driver is booked" in html and "Join the waitlist" in html
    assert db.session.scalar(select(func.count(Payment.id))) == 0

    joined = auth.post("/rides/waitlist", {k: data[k] for k in ("package", "date", "departure")}, page=page)
    assert joined.status_code == 302
    assert "number 1 on the waitlist" in auth.client.get(joined.headers["Location"]).get_data(as_text=True)
    activity = auth.client.get("/my/activity").get_data(as_text=True)
    assert "Ijen ride waitlist" in activity and "On the waitlist" in activity


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"date": "2020-01-01"}, "That night has already passed"),
        ({"date": "2099-01-01"}, "at most 90 days ahead"),
        ({"date": "14-12-2026"}, "Choose a date like"),
        ({"departure": "999999"}, "That departure is not offered"),
        ({"pickup_address": ""}, "Tell the driver where to pick you up"),
    ],
)
def test_bad_input_is_refused_clearly_and_keeps_the_form(
    auth, db, customer, blue_fire, trail_driver, night, change, message
):
    auth.login(customer)
    page, data = booking_form(auth, blue_fire, night)
    data.update(change)
    response = auth.post("/rides/bookings", data, page=page)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    if data["pickup_address"]:
        assert data["pickup_address"] in html  # what was typed is still there
    assert db.session.scalar(select(func.count(RideBooking.id))) == 0


def test_bad_input_in_indonesian(auth, db, blue_fire, trail_driver, night):
    resident = f.CustomerFactory(locale="id")
    db.session.commit()
    auth.login(resident)
    page, data = booking_form(auth, blue_fire, night, date="2020-01-01")
    html = auth.post("/rides/bookings", data, page=page).get_data(as_text=True)
    assert "Malam itu sudah lewat" in html


def test_an_unknown_package_is_404_and_a_closed_night_says_why(
    auth, client, db, customer, blue_fire, trail_driver, night
):
    assert client.get("/rides/no-such-ride").status_code == 404
    admin = f.CustomerFactory()
    db.session.commit()
    rides.close_route(first_night=night, last_night=night, reason_en="Volcanic gas", reason_id="Gas vulkanik", by=admin)
    db.session.commit()
    auth.login(customer)
    page, data = booking_form(auth, blue_fire, night)
    html = auth.post("/rides/bookings", data, page=page).get_data(as_text=True)
    assert "The Ijen route is closed that night: Volcanic gas" in html
    client.set_cookie("lang", "en")
    assert "Ijen route closed" in client.get("/rides").get_data(as_text=True)


def test_someone_elses_booking_is_404(auth, db, customer, blue_fire, trail_driver, night):
    other = f.CustomerFactory()
    booking = f.book(other, blue_fire, night, address="Somewhere 1", token="a")
    db.session.commit()
    auth.login(customer)
    assert auth.client.get(f"/rides/bookings/{booking.id}").status_code == 404
    assert auth.post(f"/rides/bookings/{booking.id}/cancel").status_code == 404
    db.session.refresh(booking)
    assert booking.state == BookingStatus.AWAITING_PAYMENT


def test_giving_up_a_hold_cancels_its_payment(auth, db, customer, blue_fire, trail_driver, night):
    auth.login(customer)
    page, data = booking_form(auth, blue_fire, night)
    auth.post("/rides/bookings", data, page=page)
    booking = db.session.scalar(select(RideBooking))
    response = auth.post(f"/rides/bookings/{booking.id}/cancel", page=f"/rides/bookings/{booking.id}")
    assert response.status_code == 302
    db.session.refresh(booking)
    assert booking.state == BookingStatus.CANCELLED
    assert rides.payment_of(booking).status == PaymentStatus.CANCELLED
    assert rides.free_seats(night) == 1


def test_on_the_night_the_booking_page_tracks_the_driver_and_polls_itself(
    app, auth, db, customer, blue_fire, trail_driver, night
):
    booking = f.book(customer, blue_fire, night, address="Homestay 12", token="n")
    db.session.commit()
    f.pay(app, booking)
    booking.pickup_at = utcnow() + timedelta(hours=1)  # as if the night had come
    db.session.commit()
    auth.login(customer)
    html = auth.client.get(f"/rides/bookings/{booking.id}").get_data(as_text=True)
    assert 'class="tracking"' in html and 'hx-trigger="every 15s"' in html
    assert trail_driver.phone in html  # on the night the tourist can call the driver


def test_the_sweep_command_expires_holds(app, db, customer, blue_fire, trail_driver, night):
    booking = f.book(customer, blue_fire, night, address="Homestay 12", token="s")
    booking.hold_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["rides", "sweep"])
    assert result.exit_code == 0, result.output
    db.session.refresh(booking)
    assert booking.state == BookingStatus.EXPIRED


def test_booking_an_unknown_package_says_so(auth, db, customer, blue_fire, trail_driver, night):
    auth.login(customer)
    page, data = booking_form(auth, blue_fire, night)
    data["package"] = "volcano-disco"
    response = auth.post("/rides/bookings", data, page=page)
    assert response.status_code == 302 and response.headers["Location"].endswith("/rides")
    assert "We do not know that ride package" in auth.client.get("/rides").get_data(as_text=True)
    assert db.session.scalar(select(func.count(RideBooking.id))) == 0


def test_the_booking_poll_answers_with_the_live_section_and_its_history(
    auth, db, customer, blue_fire, trail_driver, night
):
    booking = f.book(customer, blue_fire, night, address="Homestay 12", token="poll")
    db.session.commit()
    auth.login(customer)
    response = auth.client.get(f"/rides/bookings/{booking.id}", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<section id="live"')
    assert "<html" not in html
    assert '<ol class="timeline">' in html and "Awaiting payment" in html


def test_without_javascript_no_seat_is_held_it_could_never_pay(auth, db, customer, blue_fire, trail_driver, night):
    """The <noscript> field says the card page cannot run: the seat stays on sale, the form stays filled."""
    auth.login(customer)
    page, data = booking_form(auth, blue_fire, night, js="off")
    html = auth.client.get(page).get_data(as_text=True)
    assert '<input type="hidden" name="js" value="off">' in html  # static/js/rides.js turns it "on"
    assert '<noscript><p class="field-error">Rides are paid by card, and the card page needs JavaScript' in html
    response = auth.post("/rides/bookings", data, page=page)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Turn JavaScript on to book: no seat was held." in body
    assert "Homestay Ijen Asri, Jl. Ketapang 7" in body
    assert db.session.scalar(select(func.count()).select_from(RideBooking)) == 0
    assert "1 seat free" in body


def test_the_card_page_of_a_hold_offers_to_give_the_seat_back(auth, db, customer, blue_fire, trail_driver, night):
    auth.login(customer)
    page, data = booking_form(auth, blue_fire, night)
    pay_page = auth.client.get(auth.post("/rides/bookings", data, page=page).headers["Location"])
    booking = db.session.scalar(select(RideBooking))
    html = pay_page.get_data(as_text=True)
    assert "Give the seat back (nothing is charged)" in html
    assert f'action="/rides/bookings/{booking.id}/cancel"' in html
    response = auth.post(f"/rides/bookings/{booking.id}/cancel", page=f"/rides/bookings/{booking.id}")
    db.session.refresh(booking)
    assert booking.state == BookingStatus.CANCELLED
    assert rides.payment_of(booking).status == PaymentStatus.CANCELLED
    assert "The seat is given back. Nothing was charged." in auth.client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert "1 seat free" in auth.client.get(page).get_data(as_text=True)


def test_the_ride_job_reads_in_each_couriers_language(app, auth, db, customer, blue_fire, trail_driver, night):
    auth.login(customer)
    page, data = booking_form(auth, blue_fire, night)
    auth.post("/rides/bookings", data, page=page)
    booking = db.session.scalar(select(RideBooking))
    f.pay(app, booking)
    db.session.commit()
    delivery = find_delivery(Purpose.RIDE, booking.id)
    with force_locale("en"):
        assert delivery.description == f"Ijen {blue_fire.name_en}, 1 rider"
    with force_locale("id"):
        assert delivery.description == f"Ijen {blue_fire.name_id}, 1 penumpang"
