"""The patient (no account, the link is the key) whose fare is paid by card can pay the courier in
cash instead, without JavaScript, until a courier is called: asked first, with the CSRF token.
A free fare (PBI / DTSEN) has nothing to pay at all. After paying by card the link says so."""

from __future__ import annotations

import pytest

from portal.couriers import services as couriers
from portal.couriers.contract import Purpose
from portal.formatting import rupiah
from portal.medicine import services as medicine
from portal.medicine.models import MedicineDelivery
from portal.payments.models import Payment, PaymentMethod, PaymentStatus
from portal.payments.services import payment_for
from tests.medicine.conftest import register
from tests.payments.conftest import stripe_get
from tests.payments.helpers import card_token

PAYABLE = "medicine_delivery"
JSON = {"Accept": "application/json"}


@pytest.fixture(autouse=True)
def _english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def card_delivery(blambangan, pharmacist):
    return register(blambangan, pharmacist, fare_class="paid", card_checked_by="", payment_method="card")


def post(auth, token: str, data: dict | None = None):
    return auth.post(f"/medicine/{token}/cash", data, page=f"/medicine/{token}")


def test_the_patient_switches_to_cash_without_javascript_after_saying_yes(
    app, db, client, auth, pharmacist, driver, card_delivery
):
    token = card_delivery.issued_token
    card = payment_for(PAYABLE, card_delivery.id)
    fee = rupiah(card_delivery.fee)
    page = client.get(f"/medicine/{token}").get_data(as_text=True)
    assert f'href="/medicine/{token}/cash"' in page and f"Pay {fee} in cash to the courier instead" in page
    card_page = client.get(f"/medicine/{token}/pay").get_data(as_text=True)
    assert "Paying by card needs JavaScript" in card_page and f'action="/medicine/{token}/cash"' in card_page

    asked = post(auth, token)  # the card page's button: asks first, changes nothing
    assert asked.status_code == 200 and asked.headers["Referrer-Policy"] == "no-referrer"
    assert f"Pay {fee} in cash to the courier instead?" in asked.get_data(as_text=True)
    assert payment_for(PAYABLE, card_delivery.id).kind == PaymentMethod.CARD

    done = post(auth, token, {"confirmed": "1"})
    assert done.headers["Location"] == f"/medicine/{token}"
    html = client.get(f"/medicine/{token}").get_data(as_text=True)
    assert f"You pay {fee} in cash to the courier when your medicine arrives." in html
    assert f"Delivery fare: {fee}, in cash to the courier." in html and "Pay by card" not in html

    db.session.expire_all()
    delivery = db.session.get(MedicineDelivery, card_delivery.id)
    cash = payment_for(PAYABLE, delivery.id)
    assert delivery.payment_method == "cash"
    assert cash.kind == PaymentMethod.CASH and cash.state == PaymentStatus.PENDING and cash.amount == delivery.fee
    assert cash.customer_id is None
    assert db.session.get(Payment, card.id).state == PaymentStatus.CANCELLED
    assert stripe_get(app, f"/v1/payment_intents/{card.intent_id}")["status"] == "canceled"
    assert client.get(f"/medicine/{token}/pay").headers["Location"] == f"/medicine/{token}"

    # The pharmacy calls a courier: the job says to collect the fare at the door.
    medicine.start_preparing(delivery, by=pharmacist)
    medicine.mark_ready(delivery, by=pharmacist)
    db.session.commit()
    assert couriers.find_delivery(Purpose.MEDICINE, delivery.id).cash_to_collect == delivery.fee


def test_the_question_and_the_answer_in_indonesian(app, db, client, auth, card_delivery):
    client.set_cookie("lang", "id")
    token = card_delivery.issued_token
    fee = rupiah(card_delivery.fee)
    assert f"Bayar {fee} tunai ke kurir saja?" in client.get(f"/medicine/{token}/cash").get_data(as_text=True)
    post(auth, token, {"confirmed": "1"})
    assert f"Anda membayar {fee} tunai ke kurir saat obat Anda tiba." in client.get(f"/medicine/{token}").get_data(
        as_text=True
    )


def test_a_wrong_link_or_no_csrf_token_changes_nothing(app, db, client, auth, card_delivery):
    token = card_delivery.issued_token
    wrong = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    assert client.get(f"/medicine/{wrong}/cash").status_code == 404
    assert post(auth, wrong, {"confirmed": "1"}).status_code == 404
    assert client.post(f"/medicine/{token}/cash", data={"confirmed": "1"}).status_code == 400
    db.session.expire_all()
    assert payment_for(PAYABLE, card_delivery.id).kind == PaymentMethod.CARD


def test_once_a_courier_is_called_the_fare_stays_on_the_card(app, db, client, auth, pharmacist, driver, card_delivery):
    token = card_delivery.issued_token
    medicine.start_preparing(card_delivery, by=pharmacist)
    medicine.mark_ready(card_delivery, by=pharmacist)  # the job went out with nothing to collect
    db.session.commit()

    assert f"/medicine/{token}/cash" not in client.get(f"/medicine/{token}").get_data(as_text=True)
    assert f"/medicine/{token}/cash" not in client.get(f"/medicine/{token}/pay").get_data(as_text=True)
    assert post(auth, token, {"confirmed": "1"}).headers["Location"] == f"/medicine/{token}"
    db.session.expire_all()
    assert payment_for(PAYABLE, card_delivery.id).kind == PaymentMethod.CARD
    with pytest.raises(medicine.MedicineError):
        medicine.switch_to_cash(card_delivery)


def test_a_free_fare_has_nothing_to_pay_or_switch(app, db, client, auth, blambangan, pharmacist):
    delivery = register(blambangan, pharmacist)  # PBI / DTSEN: the regency pays
    token = delivery.issued_token
    html = client.get(f"/medicine/{token}").get_data(as_text=True)
    assert "Pay by card" not in html and "/cash" not in html and "Delivery fare" not in html
    assert post(auth, token, {"confirmed": "1"}).headers["Location"] == f"/medicine/{token}"
    assert payment_for(PAYABLE, delivery.id).kind == PaymentMethod.SUBSIDY
    assert not medicine.may_pay_cash_instead(delivery)


@pytest.mark.parametrize(
    ("lang", "received"),
    [("en", "Payment received: {fee} by card. Thank you!"), ("id", "Pembayaran diterima: {fee} dengan kartu.")],
)
def test_paying_through_the_link_says_the_payment_was_received(app, db, client, auth, card_delivery, lang, received):
    client.set_cookie("lang", lang)
    token = card_delivery.issued_token
    answer = auth.post(f"/medicine/{token}/pay", {"token": card_token(app)}, page=f"/medicine/{token}", headers=JSON)

    assert answer.json == {"redirect": f"/medicine/{token}"}
    html = client.get(f"/medicine/{token}").get_data(as_text=True)
    assert received.format(fee=rupiah(card_delivery.fee)) in html
