"""A resident who chose to pay the delivery by card can pay the courier in cash instead, without
JavaScript: asked first on its own page, their own request only, with the CSRF token. And after
paying by card the request page says the payment came in."""

from __future__ import annotations

import pytest

from portal.couriers import services as couriers
from portal.couriers.contract import Purpose
from portal.documents import services as documents
from portal.documents.models import DocumentRequest, DocumentStatus
from portal.formatting import rupiah
from portal.payments.models import Payment, PaymentMethod, PaymentStatus
from portal.payments.services import confirm_card, payment_for
from tests.documents.conftest import submitted, walk
from tests.factories import UserFactory
from tests.payments.conftest import stripe_get
from tests.payments.helpers import card_token

JSON = {"Accept": "application/json"}


@pytest.fixture
def card_request(db, resident):
    request = submitted(resident, document_type="akta_kelahiran", payment_method="card")
    db.session.commit()
    return request


def open_card_page(auth, request) -> Payment:
    """The resident presses "Pay by card": the card payment starts and the card page opens."""
    response = auth.post(f"/documents/{request.id}/pay", page=f"/documents/{request.id}")
    payment = payment_for(documents.PAYABLE, request.id)
    assert response.headers["Location"] == f"/payments/{payment.id}/pay"
    return payment


def test_without_javascript_the_card_page_offers_cash_asks_first_then_switches(
    app, db, client, auth, resident, clerk, card_request
):
    auth.login(resident)
    card = open_card_page(auth, card_request)
    fee = rupiah(card_request.fee)
    page = client.get(f"/payments/{card.id}/pay").get_data(as_text=True)
    assert "Paying by card needs JavaScript" in page
    assert f'action="/documents/{card_request.id}/cash"' in page
    assert f"Pay {fee} in cash to the courier instead" in page

    # The card page's button asks first: nothing changes until the resident says yes.
    asked = auth.post(f"/documents/{card_request.id}/cash", page=f"/payments/{card.id}/pay")
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert f"Pay {fee} in cash to the courier instead?" in html and 'name="confirmed" value="1"' in html
    assert f'href="/documents/{card_request.id}"' in html  # "No, keep paying by card"
    assert db.session.get(DocumentRequest, card_request.id).payment_method == "card"

    done = auth.post(
        f"/documents/{card_request.id}/cash", {"confirmed": "1"}, page=f"/documents/{card_request.id}/cash"
    )
    assert done.headers["Location"] == f"/documents/{card_request.id}"
    html = client.get(f"/documents/{card_request.id}").get_data(as_text=True)
    assert f"You pay {fee} in cash to the courier when your document arrives." in html
    assert "In cash, to the courier" in html and "by card" not in html

    db.session.expire_all()
    request = db.session.get(DocumentRequest, card_request.id)
    cash = payment_for(documents.PAYABLE, request.id)
    assert request.payment_method == "cash"
    assert cash.kind == PaymentMethod.CASH and cash.state == PaymentStatus.PENDING and cash.amount == request.fee
    assert db.session.get(Payment, card.id).state == PaymentStatus.CANCELLED
    assert stripe_get(app, f"/v1/payment_intents/{card.intent_id}")["status"] == "canceled"  # can never charge

    # The MPP sends it off; the courier collects the fee at the door.
    walk(request, DocumentStatus.READY, clerk=clerk)
    documents.hand_to_courier(request, by=clerk)
    db.session.commit()
    assert couriers.find_delivery(Purpose.DOCUMENT, request.id).cash_to_collect == request.fee


def test_the_request_page_links_to_cash_and_speaks_indonesian(app, db, client, auth, resident, card_request):
    resident.locale = "id"
    db.session.commit()
    auth.login(resident)
    fee = rupiah(card_request.fee)

    page = client.get(f"/documents/{card_request.id}").get_data(as_text=True)
    assert f'href="/documents/{card_request.id}/cash"' in page and f"Bayar {fee} tunai ke kurir saja" in page
    asked = client.get(f"/documents/{card_request.id}/cash").get_data(as_text=True)
    assert f"Bayar {fee} tunai ke kurir saja?" in asked and "Ya, saya bayar tunai" in asked

    auth.post(f"/documents/{card_request.id}/cash", {"confirmed": "1"}, page=f"/documents/{card_request.id}/cash")
    html = client.get(f"/documents/{card_request.id}").get_data(as_text=True)
    assert f"Anda membayar {fee} tunai ke kurir saat dokumen Anda tiba." in html


def test_only_the_resident_may_switch_and_only_with_the_csrf_token(app, db, client, auth, resident, card_request):
    url = f"/documents/{card_request.id}/cash"
    assert client.get(url).status_code == 302 and "/login" in client.get(url).headers["Location"]

    stranger = UserFactory(locale="en")
    db.session.commit()
    auth.login(stranger)
    assert client.get(url).status_code == 404
    assert auth.post(url, {"confirmed": "1"}, page="/").status_code == 404

    auth.logout()
    auth.login(resident)
    assert client.post(url, data={"confirmed": "1"}).status_code == 400  # no CSRF token
    db.session.expire_all()
    assert db.session.get(DocumentRequest, card_request.id).payment_method == "card"
    with pytest.raises(documents.DocumentError):
        documents.switch_to_cash(card_request, by=stranger)


def test_nothing_to_switch_once_paid_free_or_cash(app, db, client, auth, resident, card_request):
    free = submitted(resident)  # a KTP-el: the regency pays
    cash = submitted(resident, document_type="akta_kelahiran", payment_method="cash")
    db.session.commit()
    auth.login(resident)
    card = open_card_page(auth, card_request)
    confirm_card(card, card_token(app))
    db.session.commit()

    for request in (card_request, free, cash):
        assert not documents.may_pay_cash_instead(request)
        assert f'/documents/{request.id}/cash"' not in client.get(f"/documents/{request.id}").get_data(as_text=True)
        answer = auth.post(f"/documents/{request.id}/cash", {"confirmed": "1"}, page=f"/documents/{request.id}")
        assert answer.headers["Location"] == f"/documents/{request.id}"
    db.session.expire_all()
    assert payment_for(documents.PAYABLE, card_request.id).state == PaymentStatus.SUCCEEDED
    assert db.session.get(DocumentRequest, card_request.id).payment_method == "card"


@pytest.mark.parametrize(
    ("locale", "received"),
    [("en", "Payment received: {fee} by card. Thank you!"), ("id", "Pembayaran diterima: {fee} dengan kartu.")],
)
def test_paying_by_card_lands_on_the_request_saying_the_payment_was_received(
    app, db, client, auth, resident, card_request, locale, received
):
    resident.locale = locale
    db.session.commit()
    auth.login(resident)
    card = open_card_page(auth, card_request)
    answer = auth.post(f"/payments/{card.id}/confirm", {"token": card_token(app)}, page="/", headers=JSON)

    assert answer.json == {"redirect": f"/documents/{card_request.id}"}
    html = client.get(answer.json["redirect"]).get_data(as_text=True)
    assert received.format(fee=rupiah(card_request.fee)) in html
