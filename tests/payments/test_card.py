"""Card payments against the real localstripe process: create, confirm, decline, retry, refund."""

from __future__ import annotations

import httpx
import pytest

from portal.payments import client as client_module
from portal.payments.models import Payment, PaymentStatus
from portal.payments.services import (
    PaymentError,
    confirm_card,
    pay_url,
    payment_for,
    refund,
    sync_payment,
)
from tests.payments.conftest import PAYABLE, stripe_get
from tests.payments.helpers import DECLINED_CARD, card_token, start


def test_a_card_payment_creates_one_payment_intent_in_rupiah_cents(app, db, customer):
    payment = start(customer)
    db.session.commit()

    intent = stripe_get(app, f"/v1/payment_intents/{payment.intent_id}")
    assert payment.status == PaymentStatus.PENDING
    assert intent["amount"] == 2_500_000 and intent["currency"] == "idr"
    assert pay_url(payment) == f"/payments/{payment.id}/pay"
    assert payment_for(PAYABLE, 1) == payment


def test_starting_checkout_again_reuses_the_payment_and_its_intent(app, db, customer):
    first = start(customer, amount=25_000)
    db.session.commit()
    again = start(customer, amount=30_000)
    db.session.commit()

    assert again.id == first.id and again.intent_id == first.intent_id
    assert db.session.query(Payment).count() == 1
    assert int(stripe_get(app, f"/v1/payment_intents/{again.intent_id}")["amount"]) == 3_000_000


def test_the_success_card_pays_and_sends_payment_succeeded_once(app, db, customer, signal_log):
    payment = start(customer)
    db.session.commit()

    confirm_card(payment, card_token(app))
    db.session.commit()
    sync_payment(payment)
    db.session.commit()

    assert payment.status == PaymentStatus.SUCCEEDED and payment.paid_at is not None
    assert signal_log.count("succeeded") == 1
    assert stripe_get(app, f"/v1/payment_intents/{payment.intent_id}")["status"] == "succeeded"
    # Checking out a paid payable again never charges twice.
    assert start(customer).status == PaymentStatus.SUCCEEDED
    assert confirm_card(payment, card_token(app)) == {}
    assert signal_log.count("succeeded") == 1


def test_a_declined_card_leaves_the_payment_open_and_the_customer_can_retry(app, db, customer, signal_log):
    payment = start(customer)
    db.session.commit()

    confirm_card(payment, card_token(app, DECLINED_CARD))
    db.session.commit()

    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_message == "Your card was declined. Nothing was charged; please try another card."
    assert signal_log.count("failed") == 1 and signal_log.count("succeeded") == 0

    confirm_card(payment, card_token(app))
    db.session.commit()

    assert payment.status == PaymentStatus.SUCCEEDED
    assert signal_log.counter == {"failed": 1, "succeeded": 1}


def test_full_and_partial_refunds(app, db, customer, signal_log):
    payment = start(customer, amount=50_000)
    db.session.commit()
    confirm_card(payment, card_token(app))
    db.session.commit()

    refund(payment, amount=20_000, reason="one dish was sold out")
    db.session.commit()
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED and payment.refunded_amount == 20_000

    refund(payment, reason="order rejected")
    db.session.commit()
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_amount == 50_000
    assert [call[3] for call in signal_log.calls if call[0] == "refunded"] == [20_000, 30_000]
    refunds = stripe_get(app, f"/v1/refunds?payment_intent={payment.intent_id}")["data"]
    assert sorted(r["amount"] for r in refunds) == [2_000_000, 3_000_000]

    with pytest.raises(PaymentError, match="nothing left to refund"):
        refund(payment, reason="again")


def test_a_refund_larger_than_what_was_paid_is_refused(app, db, customer):
    payment = start(customer, amount=10_000)
    db.session.commit()
    confirm_card(payment, card_token(app))
    db.session.commit()

    with pytest.raises(PaymentError, match="between Rp1 and the amount paid"):
        refund(payment, amount=10_001, reason="typo")


def test_refunding_an_unpaid_payment_cancels_it(app, db, customer, signal_log):
    payment = start(customer)
    db.session.commit()

    refund(payment, reason="order rejected by the warung")
    db.session.commit()

    assert payment.status == PaymentStatus.CANCELLED
    assert stripe_get(app, f"/v1/payment_intents/{payment.intent_id}")["status"] == "canceled"
    assert signal_log.calls == []


class RecordingTransport(httpx.HTTPTransport):
    """Forwards to the real localstripe, keeping what the client sent; can time out the next
    PaymentIntent create the way a slow network does (after Stripe may have received it)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[httpx.Request] = []
        self.time_out_next_create = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        if request.method == "POST" and request.url.path == "/v1/payment_intents" and self.time_out_next_create:
            self.time_out_next_create = False
            super().handle_request(request)  # Stripe got it; the answer is lost
            raise httpx.ReadTimeout("timed out", request=request)
        return super().handle_request(request)

    def create_keys(self) -> list[str]:
        return [
            r.headers.get("Idempotency-Key", "")
            for r in self.sent
            if r.method == "POST" and r.url.path == "/v1/payment_intents"
        ]


def test_a_changed_amount_after_a_timed_out_create_uses_a_new_idempotency_key(app, db, customer, monkeypatch):
    """Stripe answers a reused Idempotency-Key with other parameters with an error: the cart
    changed after a lost answer must still be payable, so the key follows the amount."""

    transport = RecordingTransport()
    config = app.config
    monkeypatch.setattr(
        client_module,
        "client",
        lambda: client_module.StripeClient(
            config["STRIPE_API_BASE"], config["STRIPE_SECRET_KEY"], timeout=5, transport=transport
        ),
    )
    transport.time_out_next_create = True
    with pytest.raises(PaymentError):
        start(customer, amount=25_000)
    db.session.commit()
    payment = start(customer, amount=31_000)  # one more dish in the cart
    db.session.commit()
    first, second = transport.create_keys()
    assert first != second and second.endswith("-31000")
    assert payment.intent_id and stripe_get(app, f"/v1/payment_intents/{payment.intent_id}")["amount"] == 31_000 * 100
