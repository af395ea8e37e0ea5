"""The patient's link (no account): paying a paid-by-card fare, and the courier's first name and
photo while on the way. A wrong token sees and pays nothing."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from portal import notify
from portal.couriers import services as couriers
from portal.couriers.photos import photo_path, save_photo
from portal.medicine import services as medicine
from portal.medicine.models import MedicineStatus
from portal.payments.models import PaymentStatus
from portal.payments.services import payment_for
from tests.medicine.conftest import register
from tests.payments.helpers import DECLINED_CARD, card_token

PAYABLE = "medicine_delivery"
JSON = {"Accept": "application/json"}


@pytest.fixture(autouse=True)
def _english(client):
    client.set_cookie("lang", "en")


def card_delivery(hospital, pharmacist):
    return register(hospital, pharmacist, fare_class="paid", card_checked_by="", payment_method="card")


def pay(auth, token: str, card: str):
    return auth.post(f"/medicine/{token}/pay", {"token": card}, page="/login", headers=JSON)


def test_the_patient_pays_the_fare_by_card_through_the_link_without_an_account(
    app, client, auth, db, pharmacist, blambangan
):
    delivery = card_delivery(blambangan, pharmacist)
    token = delivery.issued_token
    payment = payment_for(PAYABLE, delivery.id)
    # The patient pays, not the pharmacist who registered it: no account holds this payment.
    assert payment.customer_id is None and payment.status == PaymentStatus.PENDING
    assert payment.amount == delivery.fee > 0
    sms = [m for m in notify.outbox if m.phone == delivery.phone]
    assert sms[-1].url.endswith(f"/medicine/{token}")
    assert "dengan kartu" in sms[-1].text and f"Rp{delivery.fee:,}".replace(",", ".") in sms[-1].text

    page = client.get(f"/medicine/{token}").get_data(as_text=True)
    assert "Pay by card" in page and f"/medicine/{token}/pay" in page
    card_page = client.get(f"/medicine/{token}/pay")
    assert card_page.status_code == 200
    assert card_page.headers["Referrer-Policy"] == "no-referrer"  # Stripe.js loads here: keep the token
    assert f'action="/medicine/{token}/pay"' in card_page.get_data(as_text=True)

    answer = pay(auth, token, card_token(app))

    assert answer.status_code == 200 and answer.json == {"redirect": f"/medicine/{token}"}
    db.session.expire_all()
    assert payment_for(PAYABLE, delivery.id).status == PaymentStatus.SUCCEEDED
    page = client.get(f"/medicine/{token}").get_data(as_text=True)
    assert "paid by card" in page and "Pay by card" not in page
    # Paid: the card page sends the patient back instead of offering to pay twice.
    assert client.get(f"/medicine/{token}/pay").headers["Location"] == f"/medicine/{token}"


def test_a_declined_card_says_so_and_the_patient_may_try_again(app, client, auth, db, pharmacist, blambangan):
    delivery = card_delivery(blambangan, pharmacist)
    token = delivery.issued_token

    answer = pay(auth, token, card_token(app, DECLINED_CARD))

    assert answer.json["declined"] is True and "declined" in answer.json["error"]
    db.session.expire_all()
    assert payment_for(PAYABLE, delivery.id).status == PaymentStatus.FAILED
    assert "Pay by card" in client.get(f"/medicine/{token}").get_data(as_text=True)
    assert pay(auth, token, card_token(app)).json == {"redirect": f"/medicine/{token}"}


def test_a_wrong_token_can_neither_see_nor_pay(app, client, auth, db, pharmacist, blambangan):
    delivery = card_delivery(blambangan, pharmacist)
    wrong = delivery.issued_token[:-2] + ("aa" if not delivery.issued_token.endswith("aa") else "bb")

    assert client.get(f"/medicine/{wrong}").status_code == 404
    assert client.get(f"/medicine/{wrong}/pay").status_code == 404
    token = auth.csrf_token("/login")
    answer = client.post(f"/medicine/{wrong}/pay", data={"csrf_token": token, "token": card_token(app)}, headers=JSON)
    assert answer.status_code == 404
    db.session.expire_all()
    assert payment_for(PAYABLE, delivery.id).status == PaymentStatus.PENDING


def test_the_pharmacist_no_longer_pays_on_the_tablet(app, client, auth, db, pharmacist, blambangan):
    delivery = card_delivery(blambangan, pharmacist)
    payment = payment_for(PAYABLE, delivery.id)
    auth.login(pharmacist)

    assert client.get(f"/payments/{payment.id}/pay").status_code == 404
    assert f"/payments/{payment.id}" not in client.get("/my/activity").get_data(as_text=True)
    detail = client.get(f"/rsud/deliveries/{delivery.id}").get_data(as_text=True)
    assert "the patient pays by card through the link" in detail


def test_cash_and_free_fares_offer_no_card(app, client, db, pharmacist, blambangan):
    cash = register(blambangan, pharmacist, fare_class="paid", card_checked_by="", payment_method="cash")
    free = register(blambangan, pharmacist, prescription_number="RX-2002")

    cash_page = client.get(f"/medicine/{cash.issued_token}").get_data(as_text=True)
    assert "in cash to the courier" in cash_page and "Pay by card" not in cash_page
    assert client.get(f"/medicine/{cash.issued_token}/pay").status_code == 302
    assert "Pay by card" not in client.get(f"/medicine/{free.issued_token}").get_data(as_text=True)


def test_a_cancelled_delivery_cannot_be_paid(app, client, auth, db, pharmacist, blambangan):
    delivery = card_delivery(blambangan, pharmacist)
    token = delivery.issued_token
    medicine.cancel(delivery, by=pharmacist, reason="patient collected it")
    db.session.commit()

    assert "Pay by card" not in client.get(f"/medicine/{token}").get_data(as_text=True)
    assert client.get(f"/medicine/{token}/pay").status_code == 302
    assert pay(auth, token, card_token(app)).json == {"redirect": f"/medicine/{token}"}
    db.session.expire_all()
    assert payment_for(PAYABLE, delivery.id).status == PaymentStatus.CANCELLED


def _photo() -> str:
    buffer = BytesIO()
    Image.new("RGB", (120, 160), (200, 120, 40)).save(buffer, "JPEG")
    buffer.seek(0)
    return save_photo(buffer)


def test_the_patient_sees_the_couriers_first_name_and_photo_once_assigned(
    app, client, db, pharmacist, blambangan, driver
):
    delivery = register(blambangan, pharmacist)
    token = delivery.issued_token
    couriers.driver_profile(driver).photo = _photo()
    medicine.start_preparing(delivery, by=pharmacist)
    courier = medicine.mark_ready(delivery, by=pharmacist)
    db.session.commit()
    photo_url = f"/medicine/{token}/courier.jpg"
    assert "Hasan" not in client.get(f"/medicine/{token}").get_data(as_text=True)
    assert client.get(photo_url).status_code == 404  # nobody accepted yet

    couriers.accept_job(courier, driver=driver)
    db.session.commit()
    db.session.refresh(delivery)

    page = client.get(f"/medicine/{token}").get_data(as_text=True)
    assert "Your courier: Hasan." in page and "Basri" not in page
    assert f'src="{photo_url}"' in page
    photo = client.get(photo_url)
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert photo.data == photo_path(couriers.driver_profile(driver).photo).read_bytes()
    assert "no-store" in photo.headers["Cache-Control"]
    wrong = token[:-1] + ("x" if token[-1] != "x" else "y")  # a token ending in x made "x" right 1 time in 64
    assert client.get(f"/medicine/{wrong}/courier.jpg").status_code == 404

    delivery.status = MedicineStatus.DELIVERED  # over: the courier is no longer shown
    db.session.commit()
    assert client.get(photo_url).status_code == 404
    assert "Hasan" not in client.get(f"/medicine/{token}").get_data(as_text=True)


def test_a_courier_without_a_photo_is_named_without_a_broken_image(app, client, db, pharmacist, blambangan, driver):
    delivery = register(blambangan, pharmacist)
    medicine.start_preparing(delivery, by=pharmacist)
    courier = medicine.mark_ready(delivery, by=pharmacist)
    db.session.commit()
    couriers.accept_job(courier, driver=driver)
    db.session.commit()

    page = client.get(f"/medicine/{delivery.issued_token}").get_data(as_text=True)
    assert "Your courier: Hasan." in page and "courier.jpg" not in page
