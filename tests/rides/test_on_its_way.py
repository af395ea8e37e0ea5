"""The home page's banner for rides: tonight's confirmed ride and a ride under way, not next week's."""

from __future__ import annotations

from datetime import datetime, timedelta

from portal import activity
from portal.formatting import WIB
from portal.rides.models import BookingStatus
from portal.workflow import move
from tests.rides import factories as f
from tests.rides.conftest import NIGHT


def test_a_confirmed_ride_shows_on_the_night_it_picks_up_and_while_under_way(app, db, blue_fire):
    booking = f.paid_booking(app, blue_fire, NIGHT)
    evening = datetime(2026, 12, 14, 20, 0, tzinfo=WIB)  # pick-up 00:30 that night
    [item] = activity.on_its_way(booking.customer, now=evening)
    assert (item.kind, item.status, item.url) == ("Ijen ride", BookingStatus.CONFIRMED, f"/rides/bookings/{booking.id}")
    assert activity.on_its_way(booking.customer, now=evening - timedelta(days=3)) == []  # days ahead
    move(booking, BookingStatus.DRIVER_ON_THE_WAY)
    db.session.commit()
    [item] = activity.on_its_way(booking.customer, now=evening - timedelta(days=3))
    assert item.status == BookingStatus.DRIVER_ON_THE_WAY
    move(booking, BookingStatus.RIDING)
    move(booking, BookingStatus.COMPLETED)
    db.session.commit()
    assert activity.on_its_way(booking.customer, now=evening) == []
