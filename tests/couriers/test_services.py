"""The courier verbs food, rides, documents and medicine call, tested directly with `now=`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import render_template_string
from werkzeug.security import check_password_hash

from portal import notify
from portal.accounts import demo as accounts_demo
from portal.accounts.models import Role
from portal.accounts.services import find_by_email
from portal.couriers import demo, services
from portal.couriers.contract import Purpose, Vehicle, Window
from portal.couriers.models import Delivery, DeliveryStatus, DriverStatus
from portal.couriers.services import CourierError
from portal.couriers.signals import delivery_changed
from portal.database import utcnow
from tests.couriers.factories import HOMESTAY, make_driver, make_job
from tests.factories import UserFactory

S = DeliveryStatus


@pytest.fixture
def moves():
    seen: list[tuple[int, str | None, str]] = []

    def receiver(delivery, old, new):
        seen.append((delivery.id, old, new))

    delivery_changed.connect(receiver)
    yield seen
    delivery_changed.disconnect(receiver)


def request(db, customer, job=None, **kwargs) -> Delivery:
    delivery = services.request_delivery(
        job or make_job(), origin_id=kwargs.pop("origin_id", 1), customer=customer, **kwargs
    )
    db.session.commit()  # dispatch runs now, as after a real request
    db.session.refresh(delivery)
    return delivery


def test_quote_is_base_plus_distance_rounded_up_to_500_and_expires(app):
    now = utcnow()
    quote = services.quote(make_job(), now=now)
    assert quote.provider == "local"
    assert 4 < quote.distance_km < 5
    assert quote.distance_km == 4.6
    assert quote.fee == 19500  # Rp8.000 + 4,6 km x Rp2.500 = Rp19.500
    assert quote.eta_minutes > 10
    assert not quote.expired(now)
    assert quote.expired(now + timedelta(seconds=app.config["COURIER_QUOTE_TTL"]))


def test_short_trips_pay_the_minimum_fare(app):
    app.config["COURIER_MIN_FARE"] = 25000
    assert services.quote(make_job()).fee == 25000
    app.config["COURIER_PER_KM"] = 2555
    assert services.quote(make_job()).fee == 25000
    app.config["COURIER_MIN_FARE"] = 0
    assert services.quote(make_job()).fee == 20000  # Rp19.753 rounds up to Rp20.000


def test_request_dispatches_to_the_local_fleet_after_commit(db, customer, moves):
    delivery = request(db, customer)
    assert delivery.status == S.FINDING_DRIVER
    assert delivery.provider == "local" and delivery.provider_ref == f"local-delivery-{delivery.id}"
    assert [e.status for e in delivery.timeline] == [S.REQUESTED, S.FINDING_DRIVER]
    assert moves == [(delivery.id, S.REQUESTED, S.FINDING_DRIVER)]
    assert services.find_delivery(Purpose.FOOD, 1).id == delivery.id
    assert services.find_delivery(Purpose.RIDE, 1) is None


def test_a_valid_quote_fixes_the_fee_an_expired_one_does_not(db, customer, app):
    now = utcnow()
    quote = services.quote(make_job(), now=now)
    promised = type(quote)(quote.provider, 99000, quote.eta_minutes, quote.distance_km, quote.expires_at)
    assert request(db, customer, quote=promised, origin_id=1).fee == 99000
    late = now + timedelta(seconds=app.config["COURIER_QUOTE_TTL"] + 1)
    assert (
        services.request_delivery(make_job(), origin_id=2, customer=customer, quote=promised, now=late).fee == quote.fee
    )


def test_requesting_twice_for_one_order_gives_one_delivery(db, customer):
    first = request(db, customer)
    again = services.request_delivery(make_job(), origin_id=1, customer=customer)
    assert again.id == first.id
    assert db.session.query(Delivery).count() == 1


def test_pin_is_issued_once_and_only_its_hash_stored(db, customer):
    delivery = services.request_delivery(make_job(Purpose.DOCUMENT, pin=True), origin_id=5, customer=customer)
    pin = delivery.issued_pin
    assert pin and pin.isdigit() and 4 <= len(pin) <= 6
    db.session.commit()
    assert delivery.pin_hash != pin and check_password_hash(delivery.pin_hash, pin)
    db.session.expunge_all()
    assert db.session.get(Delivery, delivery.id).issued_pin is None


def test_a_booked_driver_is_assigned_at_once_without_dispatch(db, customer, moves):
    driver = make_driver()
    delivery = request(db, customer, make_job(Purpose.RIDE, vehicle=Vehicle.TRAIL), driver=driver)
    assert delivery.status == S.DRIVER_ASSIGNED and delivery.courier_id == driver.id
    assert moves == [(delivery.id, S.REQUESTED, S.DRIVER_ASSIGNED)]


def test_an_unverified_driver_cannot_be_booked(db, customer):
    driver = make_driver(status=DriverStatus.PENDING)
    with pytest.raises(CourierError):
        services.request_delivery(make_job(Purpose.RIDE), origin_id=1, customer=customer, driver=driver)
    assert services.verified_driver(driver) is None


def test_the_whole_local_journey_with_pin(db, customer, moves):
    notify.outbox.clear()
    driver = make_driver()
    delivery = services.request_delivery(make_job(Purpose.DOCUMENT, pin=True), origin_id=3, customer=customer)
    pin = delivery.issued_pin
    db.session.commit()
    services.accept_job(delivery, driver=driver)
    for status in (S.PICKING_UP, S.PICKED_UP, S.DELIVERING):
        services.mark(delivery, status, by=driver)
    with pytest.raises(CourierError, match="PIN"):
        services.mark(delivery, S.DELIVERED, by=driver)
    services.mark(delivery, S.DELIVERED, by=driver, pin=pin)
    db.session.commit()
    assert delivery.status == S.DELIVERED and delivery.final
    assert [new for _, _, new in moves][-1] == S.DELIVERED
    day = services.day_at_a_glance(driver)
    assert (day.today_fees, day.today_jobs, day.week_jobs) == (delivery.fee, 1, 1)
    told = [m.text for m in notify.outbox if m.user_id == customer.id]
    assert told[-1] == "Pengantaran dokumen Anda sudah selesai. Terima kasih!"  # the customer's language


def test_five_wrong_pins_lock_the_job_and_alert_staff(db, customer):
    notify.outbox.clear()
    admin = UserFactory(roles=[Role.ADMIN])
    driver = make_driver(medicine=True)
    delivery = services.request_delivery(
        make_job(Purpose.MEDICINE, pin=True, medicine=True), origin_id=4, customer=customer
    )
    pin = delivery.issued_pin
    db.session.commit()
    services.accept_job(delivery, driver=driver)
    services.mark(delivery, S.PICKED_UP, by=driver)
    db.session.commit()
    for _ in range(5):
        with pytest.raises(CourierError):
            services.mark(delivery, S.DELIVERED, by=driver, pin="000000" if pin != "000000" else "111111")
        db.session.commit()  # the route commits the count even though the move failed
    assert delivery.pin_locked
    with pytest.raises(CourierError, match="locked"):
        services.mark(delivery, S.DELIVERED, by=driver, pin=pin)
    assert delivery.status == S.PICKED_UP
    assert [m for m in notify.outbox if m.user_id == admin.id]


def test_only_the_assigned_courier_moves_a_job(db, customer):
    driver, other = make_driver(), make_driver()
    delivery = request(db, customer)
    services.accept_job(delivery, driver=driver)
    with pytest.raises(CourierError):
        services.mark(delivery, S.PICKED_UP, by=other)
    with pytest.raises(CourierError):
        services.mark(delivery, S.RETURNED, by=driver)  # nothing picked up, nothing to return


def test_second_accept_sees_taken(db, customer):
    first, second = make_driver(), make_driver()
    delivery = request(db, customer)
    services.accept_job(delivery, driver=first)
    db.session.commit()
    with pytest.raises(CourierError, match="another courier"):
        services.accept_job(delivery, driver=second)
    assert delivery.courier_id == first.id


def test_unverified_offline_or_unqualified_drivers_neither_see_nor_take(db, customer):
    pending = make_driver(status=DriverStatus.PENDING)
    motorbike = make_driver(vehicle=Vehicle.MOTORBIKE)
    untrained = make_driver(vehicle=Vehicle.TRAIL, medicine=False)
    trained = make_driver(vehicle=Vehicle.TRAIL, medicine=True)
    trail_job = request(db, customer, make_job(Purpose.RIDE, vehicle=Vehicle.TRAIL), origin_id=1)
    medicine_job = request(db, customer, make_job(Purpose.MEDICINE, medicine=True), origin_id=2)
    profile = services.driver_profile
    assert services.open_jobs_for(profile(pending)) == []
    assert trail_job not in services.open_jobs_for(profile(motorbike))
    assert medicine_job not in services.open_jobs_for(profile(untrained))
    assert set(services.open_jobs_for(profile(trained))) == {trail_job, medicine_job}
    for driver, job in ((pending, trail_job), (motorbike, trail_job), (untrained, medicine_job)):
        with pytest.raises(CourierError):
            services.accept_job(job, driver=driver)
    assert trail_job.courier_id is None and medicine_job.courier_id is None


def test_cancel_before_pickup_only(db, customer, moves):
    driver = make_driver()
    delivery = request(db, customer)
    services.cancel_delivery(delivery, by=customer, reason="changed my mind")
    assert delivery.status == S.CANCELLED
    services.cancel_delivery(delivery, by=customer, reason="again")  # idempotent
    assigned = request(db, customer, origin_id=8)
    services.accept_job(assigned, driver=driver)
    notify.outbox.clear()
    services.cancel_delivery(assigned, by=customer, reason="found it")
    assert [m.text for m in notify.outbox if m.user_id == driver.id] == [
        "Pekerjaan dibatalkan, Anda tidak perlu berangkat: Makanan: Warung Bu Sri → dekat Glagah."
    ]
    picked = request(db, customer, origin_id=9)
    services.accept_job(picked, driver=driver)
    services.mark(picked, S.PICKED_UP, by=driver)
    with pytest.raises(CourierError):
        services.cancel_delivery(picked, by=customer, reason="too late")


def test_nobody_takes_it_in_time_then_no_driver_and_redispatch(db, customer, moves):
    notify.outbox.clear()
    now = utcnow()
    delivery = services.request_delivery(make_job(), origin_id=7, customer=customer, now=now)
    db.session.commit()
    assert services.sweep(now=now + timedelta(minutes=5))["no_driver"] == 0
    assert services.sweep(now=now + timedelta(hours=1))["no_driver"] == 1
    db.session.commit()
    assert delivery.status == S.NO_DRIVER
    assert (delivery.id, S.FINDING_DRIVER, S.NO_DRIVER) in moves
    assert [m for m in notify.outbox if m.user_id == customer.id]
    services.redispatch(delivery, by=None)
    db.session.commit()
    db.session.refresh(delivery)
    assert delivery.status == S.FINDING_DRIVER


def test_a_scheduled_job_waits_for_its_window_before_no_driver(db, customer):
    now = utcnow()
    window = Window(now + timedelta(hours=6), now + timedelta(hours=7))
    delivery = services.request_delivery(make_job(Purpose.RIDE, window=window), origin_id=8, customer=customer, now=now)
    db.session.commit()
    assert services.sweep(now=now + timedelta(hours=1))["no_driver"] == 0
    assert delivery.status == S.FINDING_DRIVER


def test_tracking_etag_changes_with_what_the_fragment_shows(db, customer):
    driver = make_driver()
    assert services.tracking_etag(None) == services.tracking_etag(None)
    delivery = request(db, customer)
    before = services.tracking_etag(delivery)
    assert services.tracking_etag(delivery) == before
    assert services.tracking_etag(delivery, "en") != before
    services.accept_job(delivery, driver=driver, now=utcnow() + timedelta(seconds=1))
    assert services.tracking_etag(delivery) != before


def test_demo_drivers_are_verified_trail_riders_and_seeding_twice_changes_nothing(db):
    accounts_demo.seed()
    demo.seed()
    demo.seed()
    db.session.commit()
    driver = find_by_email("driver@example.com")
    profile = services.verified_driver(driver)
    assert profile.vehicle == Vehicle.TRAIL and profile.medicine_trained and profile.plate == "P 1234 AB"
    assert profile.language_list == ["id", "en", "jv"] and "Banyuwangi" in profile.ktp_address
    assert driver.has_role(Role.DRIVER)
    others = [find_by_email(f"driver{n}@example.com") for n in range(2, 6)]
    assert all(services.verified_driver(u).vehicle == Vehicle.TRAIL for u in others)


def test_refusals_speak_the_readers_language(app, db, customer):
    first, second = make_driver(), make_driver()
    delivery = request(db, customer)
    services.accept_job(delivery, driver=first)
    with pytest.raises(CourierError) as refused:
        services.accept_job(delivery, driver=second)
    with app.test_request_context(headers={"Cookie": "lang=id"}):
        assert str(refused.value) == "Maaf, pekerjaan ini sudah diambil kurir lain."


def test_a_booked_driver_must_fit_the_job(db, customer):
    motorbike = make_driver(vehicle=Vehicle.MOTORBIKE)
    with pytest.raises(CourierError):
        services.request_delivery(
            make_job(Purpose.RIDE, vehicle=Vehicle.TRAIL), origin_id=1, customer=customer, driver=motorbike
        )
    assert db.session.query(Delivery).count() == 0


def test_the_tracking_fragment_before_and_after_a_courier(app, db, customer):
    include = '{% include "couriers/_tracking.html" %}'
    assert "Waiting for a courier." in render_template_string(include, delivery=None)
    driver = make_driver()
    driver.name = "Pak Hasan"
    delivery = request(db, customer)
    html = render_template_string(include, delivery=delivery)
    assert "Finding a courier" in html and "Pak Hasan" not in html
    services.accept_job(delivery, driver=driver)
    html = render_template_string(include, delivery=delivery)
    assert "Courier: Pak Hasan" in html and driver.phone in html
    assert HOMESTAY.address not in html  # the fragment never shows the drop-off
