"""Gancang Aron at the post: every move of a medicine delivery, and every refusal."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from portal import notify
from portal.accounts import nik
from portal.audit import trail
from portal.couriers import services as couriers
from portal.couriers.contract import HandoverFailure
from portal.couriers.models import DeliveryStatus
from portal.database import utcnow
from portal.extensions import db
from portal.medicine import services as medicine
from portal.medicine.models import MedicineStatus as M
from portal.medicine.services.sms import SMS
from portal.payments.models import PaymentStatus
from portal.payments.services import payment_for
from portal.workflow import IllegalMove
from tests.factories import UserFactory
from tests.medicine.conftest import MORNING, register, registration

PATIENT = "Ibu Sumarni (pasien)"  # the courier job is written in Indonesian


def sms_to(phone: str) -> list[str]:
    return [m.text + (f" {m.url}" if m.url else "") for m in notify.outbox if m.phone == phone]


def ready_with_courier(delivery, pharmacist, driver):
    """Prepared, ready, and the trained driver accepted and picked it up."""
    medicine.start_preparing(delivery, by=pharmacist)
    courier = medicine.mark_ready(delivery, by=pharmacist)
    pin = courier.issued_pin
    couriers_db_commit()
    couriers.accept_job(courier, driver=driver)
    couriers.mark(courier, DeliveryStatus.PICKED_UP, by=driver)
    couriers_db_commit()
    return courier, pin


def couriers_db_commit():

    db.session.commit()


def test_a_free_delivery_is_registered_paid_by_the_regency_and_the_patient_gets_a_link(db, pharmacist, blambangan):
    delivery = register(blambangan, pharmacist)

    assert delivery.state == M.REGISTERED
    assert delivery.phone == "+6281234567890"
    assert delivery.receiver_names == ["Siti (daughter)"]
    payment = payment_for("medicine_delivery", delivery.id)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.payer == "Pemkab Banyuwangi (PBI/DTSEN)"
    assert payment.amount == delivery.fee > 0
    assert delivery.patient_pays == 0
    (text,) = sms_to("+6281234567890")
    assert "RSUD Blambangan" in text and delivery.reference in text
    token = re.search(r"/medicine/([\w-]+)", text).group(1)
    assert len(token) >= 22  # ≥ 128 bits
    stored = [str(getattr(delivery, column.key)) for column in delivery.__table__.columns]
    assert not any(token in value for value in stored)  # only its hash is kept
    assert medicine.by_token(token) == delivery


def test_the_whole_way_to_the_door_with_the_pin(db, pharmacist, blambangan, driver):
    delivery = register(blambangan, pharmacist)
    medicine.start_preparing(delivery, by=pharmacist, now=MORNING + timedelta(minutes=5))
    assert delivery.state == M.PREPARING
    courier = medicine.mark_ready(delivery, by=pharmacist, now=MORNING + timedelta(minutes=30))
    db.session.commit()
    assert delivery.state == M.READY and delivery.prepared_at is not None
    assert courier.medicine_trained and courier.needs_pin
    assert courier.status == DeliveryStatus.FINDING_DRIVER  # dispatched to the local fleet after commit
    pin = courier.issued_pin
    # Ready: no courier has the bags yet, so the patient is told "ready, finding a courier", no PIN.
    texts = sms_to(delivery.phone)
    assert not any(pin in text for text in texts)
    assert "mencarikan kurir" in texts[-1]
    stored = [str(getattr(delivery, column.key)) for column in delivery.__table__.columns]
    assert delivery.pin_sealed and not any(pin in value for value in stored)  # encrypted at rest

    couriers.accept_job(courier, driver=driver)
    db.session.commit()
    assert not any(pin in text for text in sms_to(delivery.phone))  # accepted, not yet set out
    couriers.mark(courier, DeliveryStatus.PICKED_UP, by=driver)
    db.session.commit()
    assert delivery.state == M.WITH_COURIER
    (pin_sms,) = [m for m in notify.outbox if pin in m.text]  # the courier sets out: now the PIN
    assert pin_sms.sensitive and "kurir sedang mengantar" in pin_sms.text

    wrong = "000000" if pin != "000000" else "111111"
    with pytest.raises(couriers.CourierError, match="Wrong PIN"):
        couriers.mark(courier, DeliveryStatus.DELIVERED, by=driver, pin=wrong, receiver=PATIENT)
    db.session.commit()
    assert delivery.state == M.WITH_COURIER
    with pytest.raises(couriers.CourierError, match="only the people named"):
        couriers.mark(courier, DeliveryStatus.DELIVERED, by=driver, pin=pin, receiver="a neighbour")
    assert courier.receivers == ("Ibu Sumarni (pasien)", "Siti (daughter)")
    couriers.mark(courier, DeliveryStatus.DELIVERED, by=driver, pin=pin, receiver="Siti (daughter)")
    db.session.commit()
    assert delivery.state == M.DELIVERED
    assert delivery.pin_sealed is None  # the handover is over: nothing kept
    assert delivery.received_by == "Siti (daughter)"
    assert delivery.handed_over_at >= delivery.prepared_at  # FHIR: whenHandedOver ≥ whenPrepared
    assert delivery.ended_at is not None
    assert [e.status for e in delivery.events] == [
        "registered",
        "preparing",
        "ready",
        "with_courier",
        "delivered",
    ]
    assert delivery.as_fhir()["status"] == "completed"
    assert delivery.as_fhir()["receiver"] == [{"display": "Siti (daughter)"}]


def test_cash_is_collected_by_the_courier(db, pharmacist, blambangan, driver):
    delivery = register(blambangan, pharmacist, fare_class="paid", card_checked_by="", payment_method="cash")
    assert payment_for("medicine_delivery", delivery.id).status == PaymentStatus.PENDING
    courier, pin = ready_with_courier(delivery, pharmacist, driver)
    assert courier.cash_to_collect == delivery.fee
    couriers.mark(courier, DeliveryStatus.DELIVERED, by=driver, pin=pin, receiver=PATIENT)
    db.session.commit()
    assert payment_for("medicine_delivery", delivery.id).status == PaymentStatus.SUCCEEDED


def test_nobody_home_the_bags_come_back_and_are_sent_again(db, pharmacist, blambangan, driver):
    delivery = register(blambangan, pharmacist)
    courier, _pin = ready_with_courier(delivery, pharmacist, driver)
    couriers.mark(courier, DeliveryStatus.FAILED, by=driver, note=HandoverFailure.NOT_HOME)
    db.session.commit()
    assert delivery.state == M.NOT_DELIVERED
    assert delivery.reason == "not home"
    assert any("belum dapat diserahkan" in text for text in sms_to(delivery.phone))  # Indonesian by default

    with pytest.raises(medicine.MedicineError, match="bags are back"):
        medicine.resend(delivery, by=pharmacist)
    medicine.confirm_returned(delivery, by=pharmacist)
    assert delivery.state == M.RETURNED_TO_PHARMACY
    second = medicine.resend(delivery, by=pharmacist)
    db.session.commit()
    assert delivery.state == M.READY
    assert second.id != courier.id and second.issued_pin  # a new job, a new PIN
    couriers.accept_job(second, driver=driver)
    couriers.mark(second, DeliveryStatus.PICKED_UP, by=driver)
    couriers.mark(second, DeliveryStatus.DELIVERED, by=driver, pin=second.issued_pin, receiver=PATIENT)
    db.session.commit()
    assert delivery.state == M.DELIVERED


def test_returned_bags_can_wait_at_the_hospital_and_the_patient_is_told(db, pharmacist, blambangan, driver):
    delivery = register(blambangan, pharmacist)
    courier, _pin = ready_with_courier(delivery, pharmacist, driver)
    couriers.mark(courier, DeliveryStatus.RETURNED, by=driver, note="refused")
    medicine.confirm_returned(delivery, by=pharmacist)
    medicine.collect_at_hospital(delivery, by=pharmacist)
    db.session.commit()
    assert delivery.state == M.COLLECT_AT_HOSPITAL and delivery.ended_at is not None
    assert any("silakan ambil" in text for text in sms_to(delivery.phone))


def test_hold_needs_a_coded_reason_and_goes_back_to_preparing(db, pharmacist, blambangan):
    delivery = register(blambangan, pharmacist)
    medicine.start_preparing(delivery, by=pharmacist)
    with pytest.raises(medicine.MedicineError, match="why the delivery waits"):
        medicine.put_on_hold(delivery, by=pharmacist, reason="the cat ate it")
    medicine.put_on_hold(delivery, by=pharmacist, reason="out_of_stock")
    assert delivery.state == M.ON_HOLD and delivery.hold_label == "Out of stock"
    assert delivery.events[-1].note == "out_of_stock"  # a code, shown translated
    assert delivery.events[-1].note_label == "Out of stock"
    medicine.resume(delivery, by=pharmacist)
    assert delivery.state == M.PREPARING and delivery.hold_reason is None


def test_cancel_needs_a_reason_releases_the_courier_and_the_subsidy(db, pharmacist, blambangan):
    delivery = register(blambangan, pharmacist)
    medicine.start_preparing(delivery, by=pharmacist)
    courier = medicine.mark_ready(delivery, by=pharmacist)
    db.session.commit()
    with pytest.raises(medicine.MedicineError, match="why"):
        medicine.cancel(delivery, by=pharmacist, reason=" ")
    medicine.cancel(delivery, by=pharmacist, reason="patient came back for it")
    db.session.commit()
    assert delivery.state == M.CANCELLED
    assert courier.status == DeliveryStatus.CANCELLED
    assert payment_for("medicine_delivery", delivery.id).status != PaymentStatus.SUCCEEDED
    assert any("dibatalkan" in text for text in sms_to(delivery.phone))


def test_moves_out_of_order_are_refused(db, pharmacist, blambangan):
    delivery = register(blambangan, pharmacist)
    with pytest.raises(IllegalMove):
        medicine.mark_ready(delivery, by=pharmacist)  # not prepared yet
    with pytest.raises(IllegalMove):
        medicine.confirm_returned(delivery, by=pharmacist)
    assert delivery.state == M.REGISTERED


def test_a_restricted_medicine_is_refused_with_the_reason(db, pharmacist, blambangan):
    with pytest.raises(medicine.MedicineError, match="BPOM Regulation 8/2020"):
        register(blambangan, pharmacist, restricted=True)
    assert medicine.queue(blambangan) == []


@pytest.mark.parametrize("phone", ["+1 202 555 0143", "12345", "0812"])
def test_a_phone_that_is_not_indonesian_is_refused(db, pharmacist, blambangan, phone):
    with pytest.raises(medicine.MedicineError, match="Indonesian phone"):
        register(blambangan, pharmacist, phone=phone)


@pytest.mark.parametrize(("lat", "lng"), [(-6.2, 106.8), (114.37, -8.21), (-8.2, 112.0)])
def test_a_pin_outside_the_regency_is_refused(db, pharmacist, blambangan, lat, lng):
    with pytest.raises(medicine.MedicineError, match="outside Kabupaten Banyuwangi"):
        register(blambangan, pharmacist, lat=lat, lng=lng)


def test_a_free_fare_needs_who_checked_the_card(db, pharmacist, blambangan):
    with pytest.raises(medicine.MedicineError, match="who checked"):
        register(blambangan, pharmacist, card_checked_by="  ")


def test_a_family_member_needs_a_name_and_a_relationship(db, pharmacist, blambangan):
    with pytest.raises(medicine.MedicineError, match="relationship"):
        register(blambangan, pharmacist, receivers=[("Siti", "")])


def test_a_prescription_in_flight_is_refused_and_a_recent_one_warns(db, pharmacist, blambangan):
    first = register(blambangan, pharmacist, prescription_number="RX-7")
    with pytest.raises(medicine.MedicineError, match="already on its way"):
        register(blambangan, pharmacist, prescription_number="rx-7")
    medicine.cancel(first, by=pharmacist, reason="duplicate test")
    db.session.commit()
    with pytest.raises(medicine.DuplicatePrescription, match="Register anyway"):
        register(blambangan, pharmacist, prescription_number="RX-7", now=MORNING + timedelta(days=6))
    again = register(
        blambangan, pharmacist, prescription_number="RX-7", confirm_duplicate=True, now=MORNING + timedelta(days=6)
    )
    assert again.id != first.id
    medicine.cancel(again, by=pharmacist, reason="duplicate test", now=MORNING + timedelta(days=6))
    db.session.commit()
    later = register(blambangan, pharmacist, prescription_number="RX-7", now=MORNING + timedelta(days=30))
    assert later.state == M.REGISTERED  # more than 7 days on: no warning


def test_a_double_clicked_register_makes_one_delivery(db, pharmacist, blambangan):
    one = register(blambangan, pharmacist, key="form-1")
    two = register(blambangan, pharmacist, key="form-1")
    assert one.id == two.id
    assert len(medicine.queue(blambangan)) == 1
    assert len(sms_to(one.phone)) == 1


def test_a_genteng_pharmacist_cannot_see_or_move_a_blambangan_delivery(db, pharmacist, genteng_pharmacist, blambangan):
    delivery = register(blambangan, pharmacist)
    assert not medicine.may_handle(genteng_pharmacist, delivery)
    for verb in (medicine.start_preparing, medicine.confirm_returned):
        with pytest.raises(medicine.MedicineError, match="another hospital"):
            verb(delivery, by=genteng_pharmacist)
    with pytest.raises(medicine.MedicineError, match="another hospital"):
        medicine.view_personal(delivery, by=genteng_pharmacist)
    with pytest.raises(medicine.MedicineError, match="not a pharmacist of RSUD Blambangan"):
        register(blambangan, genteng_pharmacist)
    assert delivery.state == M.REGISTERED


def test_every_look_at_personal_data_is_written_down(db, pharmacist, blambangan):
    delivery = register(blambangan, pharmacist)
    medicine.view_personal(delivery, by=pharmacist)
    db.session.commit()
    (entry,) = trail(delivery)
    assert entry.actor_id == pharmacist.id and entry.action == "view" and "address" in entry.detail


def test_the_link_expires_seven_days_after_the_delivery_ends(db, pharmacist, blambangan):
    delivery = register(blambangan, pharmacist)
    token = delivery.issued_token
    medicine.cancel(delivery, by=pharmacist, reason="test", now=MORNING)
    db.session.commit()
    assert medicine.by_token(token, now=MORNING + timedelta(days=6)) == delivery
    assert medicine.by_token(token, now=MORNING + timedelta(days=7, seconds=1)) is None
    assert medicine.by_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None


def test_no_sms_names_a_medicine_or_the_address(db, pharmacist, blambangan, driver):
    delivery = register(blambangan, pharmacist, address="Jl. Kepiting No. 3", landmark="insulin fridge")
    ready_with_courier(delivery, pharmacist, driver)
    texts = sms_to(delivery.phone)
    assert len(texts) == 3  # registered (the link), ready (no PIN), the courier set out (the PIN)
    for text in texts:
        assert "Kepiting" not in text and "insulin" not in text and "RX-" not in text


@pytest.mark.parametrize("locale", ["id", "en"])
def test_every_sms_reads_cleanly(app, db, pharmacist, blambangan, locale):
    """No ".." at a sentence's end, no empty placeholder, in either language."""
    delivery = register(blambangan, pharmacist)
    delivery.pin_sealed = nik.encrypt("123456")
    db.session.commit()
    app.config["BABEL_DEFAULT_LOCALE"] = locale
    notify.outbox.clear()
    for kind in SMS:
        medicine.notify_patient(delivery.id, kind, token="t0ken" if kind.startswith("registered") else None)
    texts = sms_to(delivery.phone)
    assert len(texts) == len(SMS)
    for text in texts:
        assert ".." not in text and "%(" not in text and not text.rstrip().endswith(":"), text


def test_registration_needs_a_pharmacist_of_that_hospital(db, blambangan):
    registration()  # the helper itself is fine

    stranger = UserFactory()
    with pytest.raises(medicine.MedicineError, match="not a pharmacist"):
        register(blambangan, stranger)


def test_figures_count_free_and_paid_times_to_the_door_and_failed_handovers(db, pharmacist, blambangan, driver):

    now = utcnow()
    fast = register(blambangan, pharmacist, now=now - timedelta(minutes=50))
    register(
        blambangan,
        pharmacist,
        prescription_number="RX-2",
        fare_class="paid",
        card_checked_by="",
        now=now - timedelta(minutes=40),
    )
    courier, _pin = ready_with_courier(fast, pharmacist, driver)
    couriers.mark(courier, DeliveryStatus.FAILED, by=driver, note=HandoverFailure.NOT_HOME)
    medicine.confirm_returned(fast, by=pharmacist)
    again = medicine.resend(fast, by=pharmacist)
    db.session.commit()
    couriers.accept_job(again, driver=driver)
    couriers.mark(again, DeliveryStatus.PICKED_UP, by=driver)
    couriers.mark(again, DeliveryStatus.DELIVERED, by=driver, pin=again.issued_pin, receiver=PATIENT, now=now)
    db.session.commit()
    (row,) = medicine.figures(now=now)
    assert (row.hospital, row.registered, row.free, row.paid, row.delivered) == ("RSUD Blambangan", 2, 1, 1, 1)
    assert row.failed_attempts == 1 and row.failed_rate == 0.5
    assert row.median == row.p90 == 50
    medicine.view_personal(fast, by=pharmacist)
    assert [entry.subject_id for entry in medicine.recent_views()] == [fast.id]
