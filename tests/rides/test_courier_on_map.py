"""On the night, the tourist watches the driver come to the pick-up; once riding, nothing more is
shared (where the tourist rides is nobody's business)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.couriers import services as couriers
from portal.couriers.models import DeliveryStatus
from portal.database import utcnow
from portal.rides import services as rides
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


def test_the_tourist_sees_the_driver_coming_to_the_pick_up(app, auth, db, customer, blue_fire, trail_driver, night):
    booking = f.book(customer, blue_fire, night, address="Homestay 12", token="map")
    db.session.commit()
    f.pay(app, booking)
    booking.pickup_at = utcnow() + timedelta(hours=1)  # as if the night had come
    db.session.commit()
    delivery = rides.delivery_of(booking)
    assert delivery.courier_id == trail_driver.id
    couriers.record_position(delivery, driver=trail_driver, lat=-8.2300, lng=114.3500)
    db.session.commit()

    auth.login(customer)
    html = auth.client.get(f"/rides/bookings/{booking.id}").get_data(as_text=True)
    assert "Your driver reaches the pick-up around" in html and "Courier last seen at" in html

    couriers.mark(delivery, DeliveryStatus.PICKED_UP, by=trail_driver)
    db.session.commit()
    with_tourist = auth.client.get(f"/rides/bookings/{booking.id}").get_data(as_text=True)
    assert "Courier last seen" not in with_tourist
    assert not couriers.shares_position(delivery)


def test_the_drivers_rides_page_shares_the_position_only_for_the_ride_coming_up(
    app, auth, db, customer, blue_fire, trail_driver, night
):
    booking = f.book(customer, blue_fire, night, address="Homestay 12", token="share")
    db.session.commit()
    f.pay(app, booking)
    delivery = rides.delivery_of(booking)
    auth.login(trail_driver)
    far_ahead = auth.client.get("/rides/driver").get_data(as_text=True)
    assert "data-position-url" not in far_ahead and "js/courier.js" not in far_ahead  # days before the night

    booking.pickup_at = utcnow() + timedelta(hours=1)  # the night has come
    db.session.commit()
    tonight = auth.client.get("/rides/driver").get_data(as_text=True)
    assert f'data-position-url="/courier/jobs/{delivery.id}/position"' in tonight and "js/courier.js" in tonight
