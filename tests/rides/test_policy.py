"""Cancellation policy refunds and route closures, with real payments (localstripe)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal import notify
from portal.couriers.contract import Purpose
from portal.couriers.models import DeliveryStatus
from portal.couriers.services import find_delivery
from portal.database import utcnow
from portal.payments.models import PaymentStatus
from portal.rides import services as rides
from portal.rides.models import BookingStatus, WaitlistStatus
from tests.rides import factories as f


@pytest.fixture
def night(app):
    return rides.next_bookable_night() + timedelta(days=3)


def test_the_policy_full_then_half_then_nothing(app, db, blue_fire, night):
    booking = f.paid_booking(app, blue_fire, night)
    pickup = booking.pickup_at
    assert rides.refund_due(booking, now=pickup - timedelta(hours=24)) == 350_000
    assert rides.refund_due(booking, now=pickup - timedelta(hours=23, minutes=59)) == 175_000
    assert rides.refund_due(booking, now=pickup - timedelta(minutes=1)) == 175_000
    assert rides.refund_due(booking, now=pickup) == 0


def test_cancelling_early_refunds_in_full_and_frees_the_driver(app, db, blue_fire, night):
    booking = f.paid_booking(app, blue_fire, night)
    refunded = rides.cancel_booking(booking, by=booking.customer)
    db.session.commit()
    assert refunded == 350_000 and booking.refunded_amount == 350_000
    assert rides.payment_of(booking).status == PaymentStatus.REFUNDED
    assert booking.state == BookingStatus.CANCELLED
    assert find_delivery(Purpose.RIDE, booking.id).status == DeliveryStatus.CANCELLED
    assert rides.free_seats(night) == 1


def test_cancelling_late_refunds_half(app, db, blue_fire, night):
    booking = f.paid_booking(app, blue_fire, night)
    refunded = rides.cancel_booking(booking, by=booking.customer, now=booking.pickup_at - timedelta(hours=2))
    db.session.commit()
    assert refunded == 175_000
    assert rides.payment_of(booking).status == PaymentStatus.PARTIALLY_REFUNDED


def test_cancelling_after_pickup_refunds_nothing(app, db, blue_fire, night):
    booking = f.paid_booking(app, blue_fire, night)
    assert rides.cancel_booking(booking, by=booking.customer, now=booking.pickup_at + timedelta(minutes=5)) == 0
    db.session.commit()
    assert rides.payment_of(booking).status == PaymentStatus.SUCCEEDED


def test_cancel_over_http_shows_the_refund(app, auth, db, blue_fire, night):
    booking = f.paid_booking(app, blue_fire, night)
    auth.login(booking.customer)
    page = f"/rides/bookings/{booking.id}"
    assert "you get the full Rp350.000 back" in auth.client.get(page).get_data(as_text=True)
    response = auth.post(f"/rides/bookings/{booking.id}/cancel", page=page)
    html = auth.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "We refunded Rp350.000 to your card" in html
    assert "Refunded: Rp350.000" in html


def test_closing_the_route_refunds_everyone_in_full_and_tells_them(app, db, blue_fire, night):
    paid = f.paid_booking(app, blue_fire, night)
    other_night = f.paid_booking(app, blue_fire, night + timedelta(days=5))
    f.available(f.driver(), night)
    hold = f.book(f.CustomerFactory(), blue_fire, night, departure=1, address="Hotel Santika", token="hold")
    db.session.commit()
    rides.start_payment(hold)
    waiting = rides.join_waitlist(
        f.CustomerFactory(), package=blue_fire, departure=blue_fire.active_departures[0], night=night
    )
    db.session.commit()
    notify.outbox.clear()
    admin = f.CustomerFactory()
    _closure, affected = rides.close_route(
        first_night=night,
        last_night=night + timedelta(days=1),
        reason_en="Volcanic activity: the park is closed",
        reason_id="Aktivitas vulkanik: taman ditutup",
        by=admin,
    )
    db.session.commit()
    assert {b.id for b in affected} == {paid.id, hold.id}
    assert paid.state == hold.state == BookingStatus.ROUTE_CLOSED
    assert paid.refunded_amount == 350_000
    assert rides.payment_of(paid).status == PaymentStatus.REFUNDED
    assert rides.payment_of(hold).status == PaymentStatus.CANCELLED  # never charged
    assert find_delivery(Purpose.RIDE, paid.id).status == DeliveryStatus.CANCELLED
    assert other_night.state == BookingStatus.CONFIRMED
    assert waiting.state == WaitlistStatus.CLOSED
    told = {m.user_id: m.text for m in notify.outbox}
    assert "refunded in full" in told[paid.customer_id] and "Volcanic activity" in told[paid.customer_id]
    assert paid.driver_id in told and waiting.customer_id in told
    with pytest.raises(rides.RideError, match="closed that night: Volcanic activity"):
        f.book(f.CustomerFactory(), blue_fire, night, address="x", token="late")


def test_paying_after_the_hold_ran_out_takes_the_seat_back_if_free(app, db, blue_fire, night):
    f.available(f.driver(), night)
    booking = f.book(f.CustomerFactory(), blue_fire, night, address="Homestay", token="late")
    db.session.commit()
    rides.start_payment(booking)  # the tourist opens the card page, then dawdles
    db.session.commit()
    rides.sweep(now=utcnow() + timedelta(minutes=30))
    db.session.commit()
    assert booking.state == BookingStatus.EXPIRED
    f.pay(app, booking)
    db.session.commit()
    assert booking.state == BookingStatus.CONFIRMED and booking.released_at is None


def test_a_lapsed_hold_cannot_be_paid_once_the_route_closes(app, db, blue_fire, night):
    f.available(f.driver(), night)
    booking = f.book(f.CustomerFactory(), blue_fire, night, address="Homestay", token="lapsed")
    db.session.commit()
    rides.start_payment(booking)
    db.session.commit()
    rides.sweep(now=utcnow() + timedelta(minutes=30))
    rides.close_route(first_night=night, last_night=night, reason_en="Gas", reason_id="Gas", by=f.CustomerFactory())
    db.session.commit()
    assert booking.state == BookingStatus.EXPIRED
    assert rides.payment_of(booking).status == PaymentStatus.CANCELLED
