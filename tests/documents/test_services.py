"""Every move of a document request and every refusal, through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from portal import notify
from portal.audit import trail
from portal.couriers import services as couriers
from portal.couriers.contract import Purpose, Window
from portal.couriers.models import DeliveryStatus
from portal.documents import services as documents
from portal.documents.models import DocumentRequest, DocumentStatus
from portal.payments.models import PaymentMethod, PaymentStatus
from portal.payments.services import confirm_card, payment_for
from portal.workflow import DomainError, IllegalMove
from tests.couriers.factories import make_driver
from tests.documents.conftest import FRIDAY, answers, submitted, walk
from tests.factories import UserFactory
from tests.payments.helpers import card_token

S = DocumentStatus


def count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(DocumentRequest))


# --- the resident's request ---------------------------------------------------------------------


def test_a_request_is_filed_with_a_reference_its_nik_kept_secret_and_the_regency_paying(db, resident):
    request = submitted(resident)
    db.session.commit()
    assert request.state == S.SUBMITTED
    assert request.reference == f"MPP-2026-{request.id:06d}"
    assert request.nik_masked == "3510********0001"
    assert "3510011208850001" not in (request.nik_encrypted + request.nik_hash + request.kk_encrypted)
    assert request.phone == "+6281234567890"
    assert [e.status for e in request.events] == ["submitted"]
    payment = payment_for(documents.PAYABLE, request.id)
    assert payment.kind == PaymentMethod.SUBSIDY
    assert payment.state == PaymentStatus.SUCCEEDED
    assert payment.payer == "Pemkab Banyuwangi"
    assert payment.amount == request.fee > 0


def test_a_double_submitted_form_makes_one_request(db, resident):
    first = documents.submit_request(answers(), resident=resident, key="form-1", now=FRIDAY)
    again = documents.submit_request(answers(), resident=resident, key="form-1", now=FRIDAY)
    assert again is first
    assert count(db) == 1


def test_a_second_open_request_for_the_same_registration_number_is_refused_until_the_first_is_final(db, resident):
    first = submitted(resident, registration_number="3510-20261204-0042")
    with pytest.raises(DomainError, match=f"follow request {first.reference}"):
        submitted(resident, registration_number="3510-20261204-0042")
    assert count(db) == 1
    submitted(resident, registration_number="3510-20261204-0042", document_type="kk")  # another document
    documents.cancel_request(first, by=resident)
    again = submitted(resident, registration_number="3510-20261204-0042")
    assert again.status == "submitted" and count(db) == 3


def test_receivers_are_named_once_and_the_holder_not_again(db, resident):
    request = submitted(
        resident,
        document_type="kk",
        holder_only=False,
        receivers=("Budi Santoso", "budi  santoso", "Siti Aminah", "Siti Aminah"),
    )
    assert request.receivers == ["Siti Aminah"]
    assert request.receiver_names == ["Budi Santoso", "Siti Aminah"]
    request.receivers = ["Budi Santoso", "Siti Aminah"]  # a row stored before: shown once all the same
    assert request.receiver_names == ["Budi Santoso", "Siti Aminah"]


def test_new_requests_are_limited_per_account_and_day(db, resident):
    for _ in range(5):
        submitted(resident)
    with pytest.raises(DomainError, match="5 requests today"):
        submitted(resident)
    assert count(db) == 5
    submitted(resident, now=FRIDAY + timedelta(days=1, minutes=1))  # tomorrow is another day
    assert count(db) == 6


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"nik": "351001120885001"}, "NIK is not valid"),  # 15 digits
        ({"nik": "3510013208850001"}, "NIK is not valid"),  # the 32nd of August
        ({"registration_number": "REG-42"}, "registration number"),
        ({"registration_number": "3510-20261340-0042"}, "registration number"),  # month 13
        ({"kk_number": "12345"}, "KK number"),
        ({"lat": -8.17, "lng": 114.43}, "outside Kabupaten Banyuwangi"),  # Gilimanuk, Bali
        ({"phone": "12"}, "phone number"),
        ({"document_type": "passport"}, "which document"),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_filed(db, resident, change, message):
    with pytest.raises(DomainError, match=message):
        submitted(resident, **change)
    assert count(db) == 0


def test_family_members_may_receive_unless_only_the_holder_may(db, resident):
    request = submitted(resident, holder_only=False, receivers=("Siti Aminah", " ", "Rina  Santoso"))
    assert request.receiver_names == ["Budi Santoso", "Siti Aminah", "Rina Santoso"]
    assert submitted(resident).receiver_names == ["Budi Santoso"]  # the default for a KTP-el


def test_a_certificate_is_paid_by_the_resident_in_cash_or_by_card(db, resident):
    cash = submitted(resident, document_type="akta_kelahiran", payment_method="cash")
    assert payment_for(documents.PAYABLE, cash.id).kind == PaymentMethod.CASH
    assert payment_for(documents.PAYABLE, cash.id).state == PaymentStatus.PENDING
    card = submitted(resident, document_type="akta_kelahiran", payment_method="card")
    assert card.payment_method == "card"
    assert payment_for(documents.PAYABLE, card.id) is None  # started when the resident pays


def test_the_admin_decides_which_types_are_free(db, resident):
    admin = UserFactory()
    documents.fees.set_free("akta_kematian", True, by=admin)
    documents.fees.set_free("kia", False, by=admin)
    family = {"holder_only": False, "receivers": ("Siti Aminah",)}
    assert submitted(resident, document_type="akta_kematian", **family).payment_method == "subsidy"
    assert submitted(resident, document_type="kia", payment_method="cash").payment_method == "cash"


def test_a_resident_finds_only_their_own_requests(db, resident):
    request = submitted(resident)
    stranger = UserFactory()
    assert documents.for_resident(request.id, resident) is request
    assert documents.for_resident(request.id, stranger) is None
    assert documents.my_requests(stranger) == []


# --- the clerk's moves ----------------------------------------------------------------------------


def test_verify_starts_the_clock_and_ready_stops_it(db, resident, clerk):
    request = submitted(resident)
    documents.verify(request, by=clerk, now=FRIDAY)
    assert request.state == S.VERIFIED and request.verified_at == FRIDAY
    documents.mark_ready(request, by=clerk, now=FRIDAY + timedelta(hours=3))
    assert request.state == S.READY and request.ready_at == FRIDAY + timedelta(hours=3)
    assert [(e.from_status, e.status, e.by_id) for e in request.events][1:] == [
        ("submitted", "verified", clerk.id),
        ("verified", "ready", clerk.id),
    ]


@pytest.mark.parametrize(
    ("at", "verb"),
    [
        (S.SUBMITTED, documents.mark_ready),
        (S.VERIFIED, documents.verify),
        (S.READY, documents.verify),
        (S.READY, documents.mark_ready),
    ],
)
def test_a_clerk_move_in_the_wrong_status_says_why_and_changes_nothing(db, resident, clerk, at, verb):
    request = walk(submitted(resident), at, clerk=clerk) if at != S.SUBMITTED else submitted(resident)
    db.session.commit()
    events = len(request.events)
    with pytest.raises(IllegalMove) as refused:
        verb(request, by=clerk, now=FRIDAY)
    assert str(refused.value).startswith(("This is ", "Already "))  # a repeated move says who made it
    db.session.rollback()
    assert request.state == at
    assert len(request.events) == events


def test_incomplete_tells_the_resident_what_is_missing_and_they_correct_it(db, resident, clerk):
    request = submitted(resident)
    with pytest.raises(DomainError, match="what is missing"):
        documents.mark_incomplete(request, by=clerk, missing="  ")
    documents.mark_incomplete(request, by=clerk, missing="the KK address differs from the registration")
    assert request.state == S.INCOMPLETE
    assert "KK address differs" in notify.outbox[-1].text
    assert notify.outbox[-1].phone == "+6281234567890"
    documents.resubmit(
        request,
        by=resident,
        registration_number="3510-20261204-0043",
        kk_number="3510010101200003",
        address="Jl. Kepiting 14, RT 02 RW 01, Sobo, Banyuwangi",
        note="KK updated",
    )
    assert request.state == S.SUBMITTED
    assert request.registration_number == "3510-20261204-0043"
    documents.verify(request, by=clerk, now=FRIDAY)  # the clock starts at verified, not at the first submit
    assert request.verified_at == FRIDAY


def test_reject_needs_a_reason_and_gives_the_subsidy_back(db, resident, clerk):
    request = submitted(resident)
    with pytest.raises(DomainError, match="reason"):
        documents.reject(request, by=clerk, reason="")
    assert request.state == S.SUBMITTED
    documents.reject(request, by=clerk, reason="No KTP-el was registered under this number.")
    assert request.state == S.REJECTED
    assert request.reject_reason.startswith("No KTP-el")
    assert payment_for(documents.PAYABLE, request.id).state == PaymentStatus.REFUNDED
    assert "rejected" in notify.outbox[-1].text


def test_kk_and_akta_may_be_sent_electronically_but_a_ktp_el_may_not(db, resident, clerk):
    kk = walk(submitted(resident, document_type="kk"), S.READY, clerk=clerk)
    documents.send_electronically(kk, by=clerk)
    assert kk.state == S.SENT_ELECTRONICALLY and kk.state.final
    ktp = walk(submitted(resident), S.READY, clerk=clerk)
    with pytest.raises(DomainError, match="Only KK and akta"):
        documents.send_electronically(ktp, by=clerk)
    assert ktp.state == S.READY


def test_personal_data_in_full_only_with_an_audit_row(db, resident, clerk):
    request = submitted(resident)
    seen = documents.personal_data(request, by=clerk)
    assert (seen.nik, seen.kk_number) == ("3510011208850001", "3510010101200003")
    [entry] = trail(request)
    assert (entry.actor_id, entry.action, entry.subject_type) == (clerk.id, "view", "document_request")
    assert "NIK" in entry.detail and "address" in entry.detail


# --- to the door ------------------------------------------------------------------------------


def handed(db, resident, clerk, **kwargs) -> DocumentRequest:
    request = walk(submitted(resident, **kwargs), S.READY, clerk=clerk)
    documents.hand_to_courier(request, by=clerk, now=FRIDAY)
    db.session.commit()  # the courier adapter dispatches after commit
    return request


def test_handing_to_a_courier_asks_for_a_pin_job_and_sends_the_pin(db, resident, clerk):
    request = handed(db, resident, clerk)
    delivery = couriers.find_delivery(Purpose.DOCUMENT, request.id)
    assert delivery.needs_pin
    assert delivery.pickup.name == "Mal Pelayanan Publik Banyuwangi"
    assert delivery.dropoff.phone == "+6281234567890"
    assert request.state == S.READY  # until the courier picks it up
    pin = documents.pin_for(request)
    assert pin and pin.isdigit()
    assert notify.outbox[-1].phone == "+6281234567890" and pin in notify.outbox[-1].text
    with pytest.raises(DomainError, match="already been asked"):
        documents.hand_to_courier(request, by=clerk)


def test_a_scheduled_window_is_passed_to_the_courier(db, resident, clerk):
    request = walk(submitted(resident), S.READY, clerk=clerk)
    window = Window(FRIDAY + timedelta(days=3), FRIDAY + timedelta(days=3, hours=2))
    documents.hand_to_courier(request, by=clerk, window=window, now=FRIDAY)
    delivery = couriers.find_delivery(Purpose.DOCUMENT, request.id)
    assert (delivery.window_start, delivery.window_end) == (window.start, window.end)


def test_the_courier_picks_up_and_delivers_with_the_pin(db, resident, clerk):
    driver = make_driver()
    request = handed(db, resident, clerk)
    pin = documents.pin_for(request)
    delivery = couriers.find_delivery(Purpose.DOCUMENT, request.id)
    assert delivery.receivers == ("Budi Santoso",)  # a KTP-el: the holder only
    couriers.accept_job(delivery, driver=driver)
    couriers.mark(delivery, DeliveryStatus.PICKED_UP, by=driver)
    assert request.state == S.WITH_COURIER
    assert documents.pin_for(request) == pin  # still shown while on its way
    wrong = "000000" if pin != "000000" else "111111"
    with pytest.raises(DomainError, match="Wrong PIN"):
        couriers.mark(delivery, DeliveryStatus.DELIVERED, by=driver, pin=wrong, receiver="Budi Santoso")
    with pytest.raises(DomainError, match="only the people named"):
        couriers.mark(delivery, DeliveryStatus.DELIVERED, by=driver, pin=pin, receiver="A neighbour")
    assert request.state == S.WITH_COURIER
    couriers.mark(delivery, DeliveryStatus.DELIVERED, by=driver, pin=pin, receiver="Budi Santoso")
    assert request.state == S.DELIVERED
    assert request.received_by == "Budi Santoso"
    assert documents.pin_for(request) is None
    assert [e.status for e in request.events][-2:] == ["with_courier", "delivered"]


def test_a_family_member_named_on_the_request_may_receive_it(db, resident, clerk):
    driver = make_driver()
    request = handed(db, resident, clerk, document_type="kk", holder_only=False, receivers=("Siti Aminah",))
    delivery = couriers.find_delivery(Purpose.DOCUMENT, request.id)
    assert delivery.receivers == ("Budi Santoso", "Siti Aminah")
    couriers.accept_job(delivery, driver=driver)
    couriers.mark(delivery, DeliveryStatus.PICKED_UP, by=driver)
    couriers.mark(delivery, DeliveryStatus.DELIVERED, by=driver, pin=documents.pin_for(request), receiver="Siti Aminah")
    assert request.state == S.DELIVERED and request.received_by == "Siti Aminah"


def test_a_changed_ktp_el_comes_with_the_old_card_going_back(db, resident, clerk):
    driver = make_driver()
    request = walk(submitted(resident), S.READY, clerk=clerk)
    documents.hand_to_courier(request, by=clerk, return_old_card=True, now=FRIDAY)
    db.session.commit()
    delivery = couriers.find_delivery(Purpose.DOCUMENT, request.id)
    with force_locale("en"):
        assert delivery.collect == "the old KTP-el card"
    with force_locale("id"):  # each courier reads it in their language
        assert delivery.collect == "KTP-el lama"
        couriers.accept_job(delivery, driver=driver)
    couriers.mark(delivery, DeliveryStatus.PICKED_UP, by=driver)
    pin = documents.pin_for(request)
    with pytest.raises(DomainError, match="took back"):
        couriers.mark(delivery, DeliveryStatus.DELIVERED, by=driver, pin=pin, receiver="Budi Santoso")
    with force_locale("id"):
        couriers.mark(delivery, DeliveryStatus.DELIVERED, by=driver, pin=pin, receiver="Budi Santoso", collected=True)
    assert request.state == S.DELIVERED and request.old_card_collected is True
    assert delivery.events[-1].note == "collected: the old KTP-el card"  # the trail reads the same for all


def test_only_a_ktp_el_has_an_old_card_to_return(db, resident, clerk):
    request = walk(submitted(resident, document_type="kk"), S.READY, clerk=clerk)
    documents.hand_to_courier(request, by=clerk, return_old_card=True, now=FRIDAY)
    assert not request.return_old_card
    assert couriers.find_delivery(Purpose.DOCUMENT, request.id).collect == ""


def test_cash_is_collected_at_the_door(db, resident, clerk):
    driver = make_driver()
    request = handed(db, resident, clerk, document_type="akta_kelahiran", payment_method="cash")
    delivery = couriers.find_delivery(Purpose.DOCUMENT, request.id)
    assert delivery.cash_to_collect == request.fee
    couriers.accept_job(delivery, driver=driver)
    couriers.mark(delivery, DeliveryStatus.PICKED_UP, by=driver)
    couriers.mark(
        delivery, DeliveryStatus.DELIVERED, by=driver, pin=documents.pin_for(request), receiver="Budi Santoso"
    )
    assert payment_for(documents.PAYABLE, request.id).state == PaymentStatus.SUCCEEDED


def test_a_card_request_waits_for_its_payment_before_a_courier(db, resident, clerk):
    request = walk(submitted(resident, document_type="akta_kelahiran", payment_method="card"), S.READY, clerk=clerk)
    with pytest.raises(DomainError, match="not paid"):
        documents.hand_to_courier(request, by=clerk)
    assert couriers.find_delivery(Purpose.DOCUMENT, request.id) is None


def test_nobody_home_brings_it_back_then_a_new_delivery_or_the_counter(db, resident, clerk):
    driver = make_driver()
    request = handed(db, resident, clerk)
    delivery = couriers.find_delivery(Purpose.DOCUMENT, request.id)
    couriers.accept_job(delivery, driver=driver)
    couriers.mark(delivery, DeliveryStatus.PICKED_UP, by=driver)
    couriers.mark(delivery, DeliveryStatus.RETURNED, by=driver, note="nobody home")
    assert request.state == S.RETURNED
    assert documents.pin_for(request) is None
    assert "back at the MPP" in notify.outbox[-1].text
    documents.resend(request, by=resident)
    assert request.state == S.READY
    documents.hand_to_courier(request, by=clerk)  # a new courier, a new PIN
    assert documents.pin_for(request)


def test_a_returned_document_can_wait_at_the_counter(db, resident, clerk):
    driver = make_driver()
    request = handed(db, resident, clerk)
    delivery = couriers.find_delivery(Purpose.DOCUMENT, request.id)
    couriers.accept_job(delivery, driver=driver)
    couriers.mark(delivery, DeliveryStatus.PICKED_UP, by=driver)
    couriers.mark(delivery, DeliveryStatus.FAILED, by=driver, note="address not found")
    assert request.state == S.RETURNED
    documents.collect_at_counter(request, by=clerk)
    assert request.state == S.COLLECT_AT_COUNTER and request.state.final
    assert "counter" in notify.outbox[-1].text


def test_a_courier_who_never_came_leaves_it_ready_to_hand_again(db, resident, clerk):
    request = handed(db, resident, clerk)
    delivery = couriers.find_delivery(Purpose.DOCUMENT, request.id)
    couriers.cancel_delivery(delivery, by=clerk, reason="no courier today")
    assert request.state == S.READY
    documents.hand_to_courier(request, by=clerk)
    assert couriers.find_delivery(Purpose.DOCUMENT, request.id).id != delivery.id


# --- the resident cancels ---------------------------------------------------------------------


def test_the_resident_cancels_before_it_leaves_and_the_courier_is_called_off(db, resident, clerk):
    request = handed(db, resident, clerk)
    documents.cancel_request(request, by=resident)
    assert request.state == S.CANCELLED
    assert couriers.find_delivery(Purpose.DOCUMENT, request.id).status == DeliveryStatus.CANCELLED
    assert documents.pin_for(request) is None


def test_no_cancelling_once_it_is_with_the_courier(db, resident, clerk):
    driver = make_driver()
    request = handed(db, resident, clerk)
    delivery = couriers.find_delivery(Purpose.DOCUMENT, request.id)
    couriers.accept_job(delivery, driver=driver)
    couriers.mark(delivery, DeliveryStatus.PICKED_UP, by=driver)
    with pytest.raises(DomainError, match="can no longer be cancelled"):
        documents.cancel_request(request, by=resident)
    assert request.state == S.WITH_COURIER


# --- the queue --------------------------------------------------------------------------------


def test_the_queue_is_oldest_first_filtered_and_flags_overdue(db, resident, clerk):
    old = submitted(resident, now=FRIDAY - timedelta(days=7))
    documents.verify(old, by=clerk, now=FRIDAY - timedelta(days=7))
    kk = submitted(resident, document_type="kk", now=FRIDAY - timedelta(days=1))
    new = submitted(resident, now=FRIDAY)
    rows = documents.queue(now=FRIDAY)
    assert [r.request for r in rows] == [old, kk, new]
    assert [r.overdue for r in rows] == [True, False, False]
    assert [r.request for r in documents.queue(status="verified", now=FRIDAY)] == [old]
    assert [r.request for r in documents.queue(document_type="kk", now=FRIDAY)] == [kk]
    assert documents.overdue_count(FRIDAY) == 1


def test_the_queue_etag_changes_only_when_the_queue_does(db, resident, clerk):
    request = submitted(resident)
    db.session.commit()
    before = documents.queue_etag(status=None, document_type=None, now=FRIDAY)
    assert documents.queue_etag(status=None, document_type=None, now=FRIDAY) == before
    documents.verify(request, by=clerk, now=FRIDAY + timedelta(minutes=5))
    assert documents.queue_etag(status=None, document_type=None, now=FRIDAY) != before


def test_a_card_request_goes_out_once_paid(app, db, resident, clerk):
    with pytest.raises(DomainError, match="not paid by card"):
        documents.pay_by_card(submitted(resident), by=resident)  # the regency pays a KTP-el
    request = walk(submitted(resident, document_type="akta_kelahiran", payment_method="card"), S.READY, clerk=clerk)
    payment = documents.pay_by_card(request, by=resident)
    assert payment.amount == request.fee and payment.state.open
    confirm_card(payment, card_token(app))
    assert payment.state == PaymentStatus.SUCCEEDED
    documents.hand_to_courier(request, by=clerk)
    db.session.commit()
    assert couriers.find_delivery(Purpose.DOCUMENT, request.id).cash_to_collect == 0


def test_nobody_signs_for_their_own_death_certificate(db, resident):
    with pytest.raises(DomainError, match="family members who may receive the death certificate"):
        submitted(resident, document_type="akta_kematian")
    request = submitted(resident, document_type="akta_kematian", holder_only=False, receivers=("Siti Aminah",))
    assert request.receiver_names == ["Siti Aminah"]
