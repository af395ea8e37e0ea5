"""A full night has a waitlist; a freed seat is offered to the first in line for a while, then the next."""

from __future__ import annotations

import pytest

from portal import notify
from portal.rides import services as rides
from portal.rides.models import WaitlistStatus
from tests.rides import factories as f
from tests.rides.conftest import NIGHT, NOW, later
from tests.rides.test_seats import book


def join(customer, package, *, now=NOW):
    return rides.join_waitlist(customer, package=package, departure=package.active_departures[0], night=NIGHT, now=now)


def test_waitlist_offers_a_freed_seat_in_order_then_to_the_next(db, app, blue_fire, customer):
    f.available(f.driver(), NIGHT)
    holder = book(customer, blue_fire)
    first, second = f.CustomerFactory(), f.CustomerFactory()
    with pytest.raises(rides.RideFull, match="Join the waitlist"):
        book(first, blue_fire)
    a = join(first, blue_fire, now=later(minutes=1))
    b = join(second, blue_fire, now=later(minutes=2))
    assert join(first, blue_fire) is a  # joining twice changes nothing
    assert rides.waitlist_position(a) == 1 and rides.waitlist_position(b) == 2
    db.session.commit()
    notify.outbox.clear()

    # The hold runs out: the sweep gives the seat to the first in line, not to whoever is fastest.
    rides.sweep(now=later(minutes=11))
    db.session.commit()
    assert a.state == WaitlistStatus.OFFERED and b.state == WaitlistStatus.WAITING
    assert [m.user_id for m in notify.outbox] == [first.id]
    assert "seat is free" in notify.outbox[0].text
    # The night in words (never "on the 2026-12-14"), the time in 24-hour form.
    assert "on the night of Monday 14 December 2026. It is yours until" in notify.outbox[0].text
    assert NIGHT.isoformat() not in notify.outbox[0].text
    assert f"/rides/blue-fire?date={NIGHT.isoformat()}" in notify.outbox[0].url
    assert rides.free_seats(NIGHT, now=later(minutes=12), customer=second) == 0
    assert rides.free_seats(NIGHT, now=later(minutes=12), customer=first) == 1
    with pytest.raises(rides.RideFull):
        book(second, blue_fire, now=later(minutes=12))

    # The offer lapses unused: the next in line gets it.
    notify.outbox.clear()
    rides.sweep(now=later(minutes=12 + 30))
    db.session.commit()
    assert a.state == WaitlistStatus.LAPSED and b.state == WaitlistStatus.OFFERED
    assert [m.user_id for m in notify.outbox] == [second.id]
    booking = book(second, blue_fire, now=later(minutes=45))
    assert b.state == WaitlistStatus.BOOKED
    assert booking.driver_id == holder.driver_id


def test_joining_the_waitlist_with_free_seats_says_book_instead(db, blue_fire, customer):
    f.available(f.driver(), NIGHT)
    with pytest.raises(rides.RideError, match="book it now"):
        join(customer, blue_fire)


def test_a_new_driver_night_goes_to_the_waitlist_first(db, blue_fire, customer):
    f.available(f.driver(), NIGHT)
    book(customer, blue_fire)
    waiting = f.CustomerFactory()
    entry = join(waiting, blue_fire)
    notify.outbox.clear()
    rides.set_availability(f.driver(), NIGHT, True, now=later(minutes=3))
    assert entry.state == WaitlistStatus.OFFERED
    assert notify.outbox[-1].user_id == waiting.id


def test_leaving_an_offer_passes_it_on(db, blue_fire, customer):
    f.available(f.driver(), NIGHT)
    book(customer, blue_fire)
    a_user, b_user = f.CustomerFactory(), f.CustomerFactory()
    a, b = join(a_user, blue_fire, now=later(minutes=1)), join(b_user, blue_fire, now=later(minutes=2))
    rides.sweep(now=later(minutes=11))
    assert a.state == WaitlistStatus.OFFERED
    rides.leave_waitlist(a, now=later(minutes=12))
    assert a.state == WaitlistStatus.LEFT and b.state == WaitlistStatus.OFFERED


def test_messages_name_the_night_and_pick_up_in_the_readers_language(db, app, blue_fire):
    """SMS are rendered in each reader's language: "Senin malam" for the night starting Monday
    evening, and the pick-up the next morning as "Sel, 15 Des 00.30 WIB"."""
    f.available(f.driver(), NIGHT)
    english, indonesian = f.CustomerFactory(), f.CustomerFactory(locale="id")
    book(english, blue_fire)
    join(indonesian, blue_fire, now=later(minutes=1))
    db.session.commit()
    notify.outbox.clear()
    rides.sweep(now=later(minutes=11))
    db.session.commit()
    (offer,) = [m.text for m in notify.outbox if m.user_id == indonesian.id]
    assert "pada Senin malam, 14 Desember 2026." in offer and "malam Senin" not in offer
    assert "2026-12-14" not in offer
    booking = book(indonesian, blue_fire, now=later(minutes=12))
    db.session.commit()
    notify.outbox.clear()
    f.pay(app, booking, now=later(minutes=13))
    db.session.commit()
    (confirmed,) = [m.text for m in notify.outbox if m.user_id == indonesian.id]
    assert "Sel, 15 Des 00.30 WIB" in confirmed
    driver_sms = [m.text for m in notify.outbox if m.user_id == booking.driver_id]
    assert driver_sms and "Tue 15 Dec 00:30 WIB" in driver_sms[0]
