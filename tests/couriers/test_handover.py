"""The handover at the door: who may take the goods, what the courier takes back, why it failed,
and what a driver sees of the drop-off before and after accepting."""

from __future__ import annotations

import pytest

from portal.couriers import services
from portal.couriers.contract import HandoverFailure, Purpose
from portal.couriers.models import DeliveryStatus
from portal.couriers.services import CourierError
from portal.couriers.signals import delivery_changed
from tests.couriers.factories import HOMESTAY, make_job, requested

S = DeliveryStatus
FAMILY = ("Siti Aminah (patient)", "Budi (son)")
OLD_CARD = "the old KTP-el card"


@pytest.fixture
def customer(customer, db):
    """This file reads the customer's pages in English."""
    customer.locale = "en"
    db.session.commit()
    return customer


def picked_up(db, customer, driver, *, pin: bool = False, origin_id: int = 1):
    """A document job naming its receivers and a card to take back, picked up by `driver`."""
    job = make_job(Purpose.DOCUMENT, pin=pin, receivers=FAMILY, collect=OLD_CARD)
    delivery = services.request_delivery(job, origin_id=origin_id, customer=customer)
    pin_value = delivery.issued_pin
    db.session.commit()
    services.accept_job(delivery, driver=driver)
    services.mark(delivery, S.PICKED_UP, by=driver)
    db.session.commit()
    return delivery, pin_value


def test_the_job_keeps_its_receivers_and_what_to_collect(db, customer):
    delivery = requested(customer, make_job(Purpose.DOCUMENT, receivers=FAMILY, collect=OLD_CARD))
    assert delivery.receivers == FAMILY and delivery.collect == OLD_CARD
    assert delivery.job.receivers == FAMILY and delivery.job.collect == OLD_CARD
    assert delivery.received_by == "" and delivery.collected is None
    plain = requested(customer, origin_id=2)
    assert plain.receivers == () and plain.collect == ""


def test_only_a_named_receiver_may_take_the_goods_and_the_card_must_be_accounted_for(db, customer, driver):
    delivery, pin = picked_up(db, customer, driver, pin=True)
    with pytest.raises(CourierError, match="Choose who took the goods"):
        services.mark(delivery, S.DELIVERED, by=driver, pin=pin, collected=True)
    with pytest.raises(CourierError, match="Choose who took the goods"):
        services.mark(delivery, S.DELIVERED, by=driver, pin=pin, receiver="A neighbour", collected=True)
    with pytest.raises(CourierError, match="Say whether you took back the old KTP-el card"):
        services.mark(delivery, S.DELIVERED, by=driver, pin=pin, receiver="Budi (son)")
    db.session.commit()
    db.session.refresh(delivery)
    assert delivery.status == S.PICKED_UP and delivery.pin_attempts == 0  # no PIN try spent on these
    assert delivery.received_by == "" and delivery.collected is None


def test_a_wrong_pin_records_no_handover(db, customer, driver):
    delivery, pin = picked_up(db, customer, driver, pin=True)
    with pytest.raises(CourierError, match="Wrong PIN"):
        services.mark(
            delivery,
            S.DELIVERED,
            by=driver,
            pin="0000" if pin != "0000" else "1111",
            receiver="Budi (son)",
            collected=True,
        )
    db.session.commit()  # as the route does: the wrong try counts
    db.session.refresh(delivery)
    assert delivery.pin_attempts == 1 and delivery.received_by == "" and delivery.collected is None


def test_delivered_records_who_took_it_and_what_came_back_before_telling_the_origin(db, customer, driver):
    delivery, pin = picked_up(db, customer, driver, pin=True)
    seen = []

    def receiver(delivery, old, new):
        seen.append((new, delivery.received_by, delivery.collected, delivery.events[-1].note))

    delivery_changed.connect(receiver)
    try:
        services.mark(delivery, S.DELIVERED, by=driver, pin=pin, receiver="Budi (son)", collected=False)
    finally:
        delivery_changed.disconnect(receiver)
    db.session.commit()
    db.session.refresh(delivery)
    assert delivery.status == S.DELIVERED
    assert delivery.received_by == "Budi (son)" and delivery.collected is False
    note = "NOT collected: the old KTP-el card"
    assert seen == [(S.DELIVERED, "Budi (son)", False, note)]  # once, with the handover already on it


def test_without_receivers_or_collect_nothing_more_is_asked(db, customer, driver):
    delivery = requested(customer)
    services.accept_job(delivery, driver=driver)
    services.mark(delivery, S.PICKED_UP, by=driver)
    services.mark(delivery, S.DELIVERED, by=driver)
    db.session.commit()
    assert delivery.status == S.DELIVERED and delivery.received_by == "" and delivery.collected is None


def test_the_courier_hands_over_on_the_job_page_without_javascript(db, client, auth, customer, driver):
    delivery, pin = picked_up(db, customer, driver, pin=True)
    auth.login(driver)
    page = client.get(f"/courier/jobs/{delivery.id}").get_data(as_text=True)
    assert 'id="collect"' in page and "Take back at the door: the old KTP-el card." in page
    assert '<select id="receiver" name="receiver"' in page and "Budi (son)" in page
    assert 'type="checkbox"' in page and "I took back the old KTP-el card" in page
    token = auth.csrf_token(f"/courier/jobs/{delivery.id}")
    missing = client.post(f"/courier/jobs/{delivery.id}/deliver", data={"pin": pin, "csrf_token": token})
    assert missing.status_code == 422 and "Choose who took the goods." in missing.get_data(as_text=True)
    db.session.refresh(delivery)
    assert delivery.status == S.PICKED_UP and delivery.pin_attempts == 0
    done = client.post(
        f"/courier/jobs/{delivery.id}/deliver",
        data={"pin": pin, "receiver": "Siti Aminah (patient)", "collected": "y", "csrf_token": token},
    )
    assert done.status_code == 302
    db.session.refresh(delivery)
    assert delivery.status == S.DELIVERED
    assert delivery.received_by == "Siti Aminah (patient)" and delivery.collected is True


def test_an_unticked_box_means_the_card_did_not_come_back(db, client, auth, customer, driver):
    delivery, _ = picked_up(db, customer, driver)
    auth.login(driver)
    token = auth.csrf_token(f"/courier/jobs/{delivery.id}")
    client.post(f"/courier/jobs/{delivery.id}/deliver", data={"receiver": "Budi (son)", "csrf_token": token})
    db.session.refresh(delivery)
    assert delivery.status == S.DELIVERED and delivery.collected is False


def test_a_failed_handover_asks_why_from_a_fixed_list(db, client, auth, customer, driver):
    delivery, _ = picked_up(db, customer, driver)
    auth.login(driver)
    page = client.get(f"/courier/jobs/{delivery.id}").get_data(as_text=True)
    assert all(f'value="{reason.value}"' in page for reason in HandoverFailure)
    token = auth.csrf_token(f"/courier/jobs/{delivery.id}")
    url = f"/courier/jobs/{delivery.id}/status"
    unexplained = client.post(url, data={"status": "failed", "csrf_token": token})
    assert unexplained.status_code == 422 and "Choose why" in unexplained.get_data(as_text=True)
    made_up = client.post(url, data={"status": "failed", "reason": "too far", "csrf_token": token})
    assert made_up.status_code == 422
    db.session.refresh(delivery)
    assert delivery.status == S.PICKED_UP
    client.post(url, data={"status": "failed", "reason": "refused", "csrf_token": token})
    db.session.refresh(delivery)
    assert delivery.status == S.FAILED and delivery.events[-1].note == HandoverFailure.REFUSED == "refused"


def test_before_accepting_a_driver_sees_the_area_not_the_address_or_phone(db, client, auth, customer, driver):
    delivery = requested(customer, make_job(Purpose.DOCUMENT, receivers=FAMILY))
    private = (HOMESTAY.address, HOMESTAY.phone, HOMESTAY.note, "Budi (son)")
    auth.login(driver)
    listing = client.get("/courier").get_data(as_text=True)
    preview = client.get(f"/courier/jobs/{delivery.id}").get_data(as_text=True)
    for page in (listing, preview):
        assert "Glagah" in page and "4.6 km" in page
        assert not any(detail in page for detail in private)
    auth.post(f"/courier/jobs/{delivery.id}/accept", page="/courier")
    page = client.get(f"/courier/jobs/{delivery.id}").get_data(as_text=True)
    assert all(detail in page for detail in private)
    services.mark(delivery, S.PICKED_UP, by=driver)
    services.mark(delivery, S.DELIVERED, by=driver, receiver="Budi (son)")
    db.session.commit()
    page = client.get(f"/courier/jobs/{delivery.id}").get_data(as_text=True)
    assert not any(detail in page for detail in private)
