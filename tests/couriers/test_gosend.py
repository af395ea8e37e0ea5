"""GoSend against the loopback server: faults are retried, declines fall back, webhooks are
authenticated and never move a delivery backwards."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.couriers import providers, services
from portal.couriers.contract import ProviderUnavailable, Purpose, Vehicle, Window
from portal.couriers.models import DeliveryStatus
from portal.couriers.services import CourierError
from portal.database import utcnow
from tests.couriers.factories import make_job, requested
from tests.couriers.gosend_server import CALLBACK_TOKEN

S = DeliveryStatus


def post_webhook(client, body, token=CALLBACK_TOKEN):
    return client.post("/webhooks/couriers/gosend", json=body, headers={"Authorization": token})


@pytest.mark.parametrize("fault", ["slow", "500", "malformed"])
def test_a_failing_answer_is_retried_later_and_nothing_is_lost(gosend, db, customer, client, auth, fault):
    gosend.fail_next(fault, fault)  # the booking lookup fails on the first try, and again on the second
    delivery = requested(customer)
    assert delivery.status == S.REQUESTED and delivery.retrying
    assert delivery.provider == "gosend" and delivery.attempts == 1
    # The customer sees that we are retrying.
    auth.login(customer)
    page = client.get(f"/deliveries/{delivery.id}").get_data(as_text=True)
    assert "Layanan kurir belum menjawab; kami mencoba lagi." in page  # an Indonesian-speaking customer
    # Not due yet: nothing happens. Due: retried (fails once more), then booked.
    assert services.sweep(now=utcnow())["retried"] == 0
    services.sweep(now=utcnow() + timedelta(minutes=5))
    db.session.commit()
    assert delivery.attempts == 2 and delivery.retrying
    services.sweep(now=utcnow() + timedelta(minutes=10))
    db.session.commit()
    db.session.refresh(delivery)
    assert delivery.status == S.FINDING_DRIVER and delivery.provider == "gosend"
    assert delivery.provider_ref in gosend.bookings and len(gosend.bookings) == 1
    assert not delivery.retrying


def test_a_provider_that_keeps_failing_hands_the_job_to_the_local_fleet(gosend, db, customer):
    gosend.fail_next("500", "500", "500")
    delivery = requested(customer)
    for minutes in (5, 30):
        services.sweep(now=utcnow() + timedelta(minutes=minutes))
        db.session.commit()
    db.session.refresh(delivery)
    assert delivery.status == S.FINDING_DRIVER
    assert delivery.provider == "local" and delivery.provider_ref == f"local-delivery-{delivery.id}"
    assert gosend.bookings == {}


@pytest.mark.parametrize(
    "job",
    [make_job(Purpose.RIDE, vehicle=Vehicle.TRAIL), make_job(Purpose.MEDICINE, medicine=True)],
    ids=["ride", "medicine-credential"],
)
def test_gosend_declines_rides_and_medicine_and_the_local_fleet_takes_them(gosend, db, customer, job):
    delivery = requested(customer, job)
    assert delivery.provider == "local" and delivery.status == S.FINDING_DRIVER
    assert gosend.calls == []


def test_a_refused_booking_falls_back_at_once(gosend, db, customer):
    gosend.refuse_bookings = True
    delivery = requested(customer)
    assert delivery.provider == "local" and delivery.status == S.FINDING_DRIVER


def test_quote_comes_from_gosend_and_falls_back_to_the_tariff_when_it_fails(gosend, app):
    assert services.quote(make_job()).provider == "gosend"
    gosend.fail_next("500")
    assert services.quote(make_job()).provider == "local"
    gosend.serviceable = False
    assert services.quote(make_job()).provider == "local"


def test_malformed_estimate_and_slow_status_are_provider_unavailable(gosend, app):
    courier = providers.get("gosend")
    gosend.fail_next("malformed")
    with pytest.raises(ProviderUnavailable):
        courier.quote(make_job(), now=utcnow())
    gosend.fail_next("slow")
    with pytest.raises(ProviderUnavailable):
        courier.status("GK-11-1")


def test_webhook_with_a_wrong_token_is_refused_and_changes_nothing(gosend, db, customer, client):
    delivery = requested(customer)
    body = gosend.set_status(delivery.provider_ref, "allocated")
    assert post_webhook(client, body, token="wrong").status_code == 401
    assert client.post("/webhooks/couriers/gosend", json=body).status_code == 401
    db.session.refresh(delivery)
    assert delivery.status == S.FINDING_DRIVER


def test_out_of_order_and_replayed_webhooks_never_move_backwards(gosend, db, customer, client):
    delivery = requested(customer)
    allocated = gosend.set_status(delivery.provider_ref, "allocated")
    picked = gosend.set_status(delivery.provider_ref, "picked")
    assert post_webhook(client, picked).status_code == 202
    db.session.refresh(delivery)
    assert delivery.status == S.PICKED_UP and delivery.courier_name == "Agus GoSend"
    events = len(delivery.events)
    for late_or_replayed in (allocated, picked):
        assert post_webhook(client, late_or_replayed).status_code == 202
        db.session.refresh(delivery)
        assert delivery.status == S.PICKED_UP and len(delivery.events) == events
    delivered = gosend.set_status(delivery.provider_ref, "delivered")
    post_webhook(client, delivered)
    db.session.refresh(delivery)
    assert delivery.status == S.DELIVERED
    assert [e.status for e in delivery.timeline] == [S.REQUESTED, S.FINDING_DRIVER, S.PICKED_UP, S.DELIVERED]


def test_unknown_booking_and_unreadable_webhooks_are_answered_without_harm(gosend, client):
    assert post_webhook(client, {"entity_id": "GK-unknown", "status": "delivered"}).status_code == 202
    assert post_webhook(client, {"entity_id": "GK-1", "status": "teleported"}).status_code == 400
    response = client.post("/webhooks/couriers/gosend", data="not json", headers={"Authorization": CALLBACK_TOKEN})
    assert response.status_code == 400
    assert client.post("/webhooks/couriers/nobody", json={}).status_code == 404
    assert client.post("/webhooks/couriers/local", json={}).status_code == 404


def test_a_lost_webhook_is_recovered_by_pulling_the_status(gosend, db, customer):
    delivery = requested(customer)
    gosend.set_status(delivery.provider_ref, "out_for_delivery")
    services.refresh_from_provider(delivery.id)
    db.session.commit()
    assert delivery.status == S.DELIVERING


def test_no_cancel_at_gosend_after_pickup(gosend, db, customer, client):
    delivery = requested(customer)
    post_webhook(client, gosend.set_status(delivery.provider_ref, "picked"))
    db.session.refresh(delivery)
    with pytest.raises(CourierError):
        services.cancel_delivery(delivery, by=customer, reason="late")
    assert delivery.status == S.PICKED_UP


def test_gosend_reports_no_driver_and_we_can_send_it_out_again(gosend, db, customer, client):
    delivery = requested(customer)
    post_webhook(client, gosend.set_status(delivery.provider_ref, "no_driver"))
    db.session.refresh(delivery)
    assert delivery.status == S.NO_DRIVER
    services.redispatch(delivery, by=None)
    db.session.commit()
    db.session.refresh(delivery)
    assert delivery.status == S.FINDING_DRIVER and delivery.provider == "gosend"


def test_the_sweep_pulls_quiet_bookings_so_a_lost_webhook_does_not_strand_them(gosend, db, customer):
    delivery = requested(customer)
    gosend.set_status(delivery.provider_ref, "allocated")
    assert services.sweep(now=utcnow() + timedelta(minutes=1))["pulled"] == 0  # heard from it recently
    result = services.sweep(now=utcnow() + timedelta(minutes=15))
    db.session.commit()
    assert result["pulled"] == 1
    assert delivery.status == S.DRIVER_ASSIGNED and delivery.courier_name == "Agus GoSend"


def test_pin_handovers_and_scheduled_jobs_stay_with_the_local_fleet(gosend, db, customer):
    now = utcnow()
    window = Window(now + timedelta(hours=3), now + timedelta(hours=4))
    for origin_id, job in enumerate([make_job(Purpose.DOCUMENT, pin=True), make_job(window=window)], start=1):
        assert requested(customer, job, origin_id=origin_id).provider == "local"
    assert gosend.calls == []
