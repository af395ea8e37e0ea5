"""The courier on the customer's map: who may send a position, what the customer reads from it
(ETA from the remaining distance), who may see it, and when it is forgotten."""

from __future__ import annotations

import itertools
import math
from datetime import timedelta

import pytest

from portal.audit import AuditEntry
from portal.couriers import services
from portal.couriers.contract import Purpose
from portal.couriers.fare import haversine_km
from portal.couriers.models import CourierPosition, Delivery, DeliveryStatus
from portal.database import utcnow
from portal.extensions import db as _db
from tests.couriers.factories import HOMESTAY, WARUNG, make_driver, make_job, requested
from tests.factories import UserFactory

S = DeliveryStatus
# Between the warung and the homestay, on the road through Glagah.
ON_THE_WAY = (-8.2150, 114.3500)


@pytest.fixture
def customer(customer, db):
    """This file reads the customer's pages in English."""
    customer.locale = "en"
    db.session.commit()
    return customer


_origins = itertools.count(100)


def taken(db, customer, driver, purpose: Purpose = Purpose.FOOD, *, picked_up: bool = False) -> Delivery:
    delivery = requested(customer, make_job(purpose), origin_id=next(_origins))
    services.accept_job(delivery, driver=driver)
    if picked_up:
        services.mark(delivery, S.PICKED_UP, by=driver)
    db.session.commit()
    return delivery


def positions_of(delivery: Delivery) -> list[tuple[float, float]]:
    return [(p.lat, p.lng) for p in _db.session.query(CourierPosition).filter_by(delivery_id=delivery.id)]


# --- the service -------------------------------------------------------------------------------


def test_a_position_on_the_road_is_stored_and_copied_onto_the_delivery(db, customer, driver):
    delivery = taken(db, customer, driver)
    before = services.tracking_etag(delivery)
    now = utcnow()
    services.record_position(delivery, driver=driver, lat=ON_THE_WAY[0], lng=ON_THE_WAY[1], accuracy=12, now=now)
    db.session.commit()
    assert positions_of(delivery) == [ON_THE_WAY]
    assert (delivery.position_lat, delivery.position_lng, delivery.position_accuracy) == (*ON_THE_WAY, 12)
    assert delivery.position_at == now
    # The polled tracking fragment's ETag moves with the courier, and only with a new position.
    assert services.tracking_etag(delivery) != before
    moved = services.tracking_etag(delivery)
    assert services.tracking_etag(db.session.get(Delivery, delivery.id)) == moved


def test_positions_are_refused_for_someone_elses_or_a_finished_job(db, customer, driver):
    other = make_driver()
    waiting = requested(customer, origin_id=7)  # nobody took it yet
    delivery = taken(db, customer, driver)
    with pytest.raises(services.CourierError, match="not assigned to you"):
        services.record_position(delivery, driver=other, lat=-8.2, lng=114.3)
    with pytest.raises(services.CourierError, match="not assigned to you"):
        services.record_position(waiting, driver=driver, lat=-8.2, lng=114.3)
    services.mark(delivery, S.PICKED_UP, by=driver)
    services.mark(delivery, S.DELIVERED, by=driver)
    db.session.commit()
    with pytest.raises(services.CourierError, match="no longer shared"):
        services.record_position(delivery, driver=driver, lat=-8.2, lng=114.3)
    db.session.rollback()
    assert positions_of(delivery) == [] and positions_of(waiting) == []


@pytest.mark.parametrize(
    ("lat", "lng", "accuracy", "message"),
    [
        (91.0, 114.3, None, "not a position on Earth"),
        (-8.2, 181.0, None, "not a position on Earth"),
        (math.nan, 114.3, None, "not a position on Earth"),
        (-8.2, 114.3, 25_000.0, "too vague"),
        (-8.2, 114.3, -1.0, "too vague"),
    ],
)
def test_impossible_positions_are_refused(db, customer, driver, lat, lng, accuracy, message):
    delivery = taken(db, customer, driver)
    with pytest.raises(services.CourierError, match=message):
        services.record_position(delivery, driver=driver, lat=lat, lng=lng, accuracy=accuracy)


def test_the_eta_counts_the_distance_still_to_go_at_the_configured_speed(app, db, customer, driver):
    delivery = taken(db, customer, driver)
    assert services.courier_on_map(delivery) is None  # no position yet: no map, no estimate
    now = utcnow()
    services.record_position(delivery, driver=driver, lat=ON_THE_WAY[0], lng=ON_THE_WAY[1], now=now)
    # Not picked up yet: to the warung, then on to the homestay.
    view = services.courier_on_map(delivery)
    expected = haversine_km(*ON_THE_WAY, WARUNG.lat, WARUNG.lng) + haversine_km(
        WARUNG.lat, WARUNG.lng, HOMESTAY.lat, HOMESTAY.lng
    )
    assert view.remaining_km == round(expected, 1)
    assert view.eta == now + timedelta(minutes=math.ceil(expected / 25 * 60))
    assert view.pickup.label == "Warung Bu Sri" and not view.waits_at_pickup
    # Picked up: straight to the homestay; a faster configured speed brings it sooner.
    services.mark(delivery, S.PICKED_UP, by=driver)
    services.record_position(delivery, driver=driver, lat=ON_THE_WAY[0], lng=ON_THE_WAY[1], now=now)
    app.config["COURIER_MAP_SPEED_KMH"] = 50
    left = haversine_km(*ON_THE_WAY, HOMESTAY.lat, HOMESTAY.lng)
    view = services.courier_on_map(delivery)
    assert view.remaining_km == round(left, 1)
    assert view.eta == now + timedelta(minutes=math.ceil(left / 50 * 60))


def test_a_ride_counts_to_the_pick_up_where_the_tourist_waits(db, customer):
    driver = make_driver()  # a trail bike
    delivery = taken(db, customer, driver, Purpose.RIDE)
    services.record_position(delivery, driver=driver, lat=ON_THE_WAY[0], lng=ON_THE_WAY[1])
    view = services.courier_on_map(delivery)
    assert view.waits_at_pickup
    assert view.remaining_km == round(haversine_km(*ON_THE_WAY, WARUNG.lat, WARUNG.lng), 1)
    services.mark(delivery, S.PICKED_UP, by=driver)
    assert services.courier_on_map(delivery) is None  # riding together: nothing to wait for


def test_the_sweep_forgets_positions_30_days_after_the_job_ended(db, customer, driver):
    ended = taken(db, customer, driver, picked_up=True)
    recent = taken(db, customer, driver, picked_up=True)
    ongoing = taken(db, customer, driver)
    start = utcnow()
    for delivery in (ended, recent, ongoing):
        services.record_position(delivery, driver=driver, lat=-8.21, lng=114.35, now=start)
    services.mark(ended, S.DELIVERED, by=driver, now=start)
    services.mark(recent, S.DELIVERED, by=driver, now=start + timedelta(days=2))
    db.session.commit()

    assert services.sweep(now=start + timedelta(days=29))["positions_deleted"] == 0
    result = services.sweep(now=start + timedelta(days=30, minutes=1))
    db.session.commit()
    assert result["positions_deleted"] == 1
    db.session.expire_all()
    assert positions_of(ended) == [] and ended.position_at is None and ended.position_lat is None
    assert len(positions_of(recent)) == 1 and recent.position_at is not None  # ended 28 days ago
    assert len(positions_of(ongoing)) == 1  # still on the road


# --- over HTTP ---------------------------------------------------------------------------------


def post_position(client, auth, delivery, lat=ON_THE_WAY[0], lng=ON_THE_WAY[1], **extra):
    token = auth.csrf_token(f"/courier/jobs/{delivery.id}")
    return client.post(
        f"/courier/jobs/{delivery.id}/position", data={"lat": lat, "lng": lng, "csrf_token": token, **extra}
    )


def test_the_drivers_phone_moves_the_pin_on_the_customers_page(db, client, auth, customer, driver):
    delivery = taken(db, customer, driver)
    auth.login(driver)
    job = client.get(f"/courier/jobs/{delivery.id}").get_data(as_text=True)
    assert f'data-position-url="/courier/jobs/{delivery.id}/position"' in job and "js/courier.js" in job
    assert post_position(client, auth, delivery, accuracy="15").status_code == 204
    auth.logout()

    auth.login(customer)
    page = client.get(f"/deliveries/{delivery.id}")
    html = page.get_data(as_text=True)
    view = services.courier_on_map(db.session.get(Delivery, delivery.id))
    assert "Arrives around" in html and f"{view.remaining_km:.1f} km to go" in html
    assert "Courier last seen at" in html and "25 km/h along a straight line" in html
    # The poll answers 304 until the courier moves; then the new fragment with the new ETag.
    fragment = client.get(f"/deliveries/{delivery.id}", headers={"HX-Request": "true"})
    etag = fragment.headers["ETag"]
    poll = {"HX-Request": "true", "If-None-Match": etag}
    assert client.get(f"/deliveries/{delivery.id}", headers=poll).status_code == 304
    auth.logout()
    auth.login(driver)
    assert post_position(client, auth, delivery, lat=-8.2100, lng=114.3300).status_code == 204
    auth.logout()
    auth.login(customer)
    moved = client.get(f"/deliveries/{delivery.id}", headers=poll)
    assert moved.status_code == 200 and moved.headers["ETag"] != etag


def test_the_position_url_refuses_strangers_bad_input_and_finished_jobs(db, client, auth, customer, driver):
    delivery = taken(db, customer, driver)
    other = make_driver()
    db.session.commit()
    auth.login(other)
    assert post_position(client, auth, delivery).status_code == 404  # not their job
    auth.logout()
    auth.login(customer)
    assert client.post(f"/courier/jobs/{delivery.id}/position", data={"lat": 1, "lng": 1}).status_code in (
        302,
        400,
        403,
    )
    auth.logout()

    auth.login(driver)
    no_csrf = client.post(f"/courier/jobs/{delivery.id}/position", data={"lat": -8.2, "lng": 114.3})
    assert no_csrf.status_code == 400
    bad = post_position(client, auth, delivery, lat="north")
    assert bad.status_code == 422 and bad.json["error"]
    services.mark(delivery, S.PICKED_UP, by=driver)
    services.mark(delivery, S.DELIVERED, by=driver)
    db.session.commit()
    finished = post_position(client, auth, delivery)
    assert finished.status_code == 409 and finished.json["stop"] is True
    assert positions_of(delivery) == []
    # Handed over: the job page no longer asks the phone for its position.
    assert "data-position-url" not in client.get(f"/courier/jobs/{delivery.id}").get_data(as_text=True)


def test_positions_are_rate_limited_per_job(app, db, client, auth, customer, driver):
    app.config["COURIER_POSITION_RATE_LIMIT"] = "3 per minute"
    delivery = taken(db, customer, driver)
    auth.login(driver)
    token = auth.csrf_token(f"/courier/jobs/{delivery.id}")
    answers = [
        client.post(
            f"/courier/jobs/{delivery.id}/position", data={"lat": -8.21, "lng": 114.35, "csrf_token": token}
        ).status_code
        for _ in range(4)
    ]
    assert answers == [204, 204, 204, 429]
    assert len(positions_of(delivery)) == 3


def test_only_the_customer_and_admins_see_the_courier(db, client, auth, customer, driver, admin):
    delivery = taken(db, customer, driver)
    services.record_position(delivery, driver=driver, lat=ON_THE_WAY[0], lng=ON_THE_WAY[1])
    db.session.commit()
    stranger = UserFactory(locale="en")
    db.session.commit()
    for outsider in (stranger, driver):  # another customer, and even the courier: not this page
        auth.login(outsider)
        assert client.get(f"/deliveries/{delivery.id}").status_code == 404
        assert client.get(f"/deliveries/{delivery.id}", headers={"HX-Request": "true"}).status_code == 404
        auth.logout()

    auth.login(admin)
    page = client.get(f"/deliveries/{delivery.id}").get_data(as_text=True)
    assert "Courier last seen at" in page
    seen = db.session.query(AuditEntry).filter_by(subject_type="delivery", subject_id=delivery.id).all()
    assert [(entry.action, entry.actor_id, entry.detail) for entry in seen] == [("view", admin.id, "courier position")]


def test_the_workspace_shares_the_position_of_jobs_on_the_road_only(db, client, auth, customer, driver):
    on_the_road = taken(db, customer, driver)
    auth.login(driver)
    page = client.get("/courier").get_data(as_text=True)
    assert f'data-position-url="/courier/jobs/{on_the_road.id}/position"' in page and "js/courier.js" in page
    services.mark(on_the_road, S.PICKED_UP, by=driver)
    services.mark(on_the_road, S.DELIVERED, by=driver)
    db.session.commit()
    page = client.get("/courier").get_data(as_text=True)
    assert "data-position-url" not in page and "js/courier.js" not in page


def test_the_demo_couriers_move_on_the_customers_map(db, customer, driver):
    delivery = requested(customer, origin_id=next(_origins))
    services.simulate_step()
    db.session.commit()
    assert delivery.status == S.DRIVER_ASSIGNED
    coming = services.courier_on_map(delivery)
    services.simulate_step()
    db.session.commit()
    at_the_warung = services.courier_on_map(delivery)
    assert (at_the_warung.courier.lat, at_the_warung.courier.lng) == (WARUNG.lat, WARUNG.lng)
    assert at_the_warung.remaining_km < coming.remaining_km
