"""The payment server is down (nothing listens on its port): every verb answers with a
PaymentError the customer or staff can read, never a raw StripeError (a 500 page)."""

from __future__ import annotations

import socket

import httpx
import pytest

from portal.payments import client as client_module
from portal.payments.models import PaymentMethod, PaymentStatus
from portal.payments.services import PaymentError, refund, start_payment
from tests.factories import UserFactory
from tests.payments.conftest import PAYABLE


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # bound, then closed: connections are refused


@pytest.fixture
def pending_card(app, db):
    customer = UserFactory()
    db.session.commit()
    payment = start_payment(
        payable_type=PAYABLE, payable_id=1, customer=customer, amount=20_000, method=PaymentMethod.CARD, return_url="/"
    )
    db.session.commit()
    assert payment.intent_id
    app.config["STRIPE_API_BASE"] = closed_port_url()
    return payment


def test_refunding_a_pending_card_payment_while_stripe_is_down(app, db, pending_card):
    with pytest.raises(PaymentError, match="not answering"):
        refund(pending_card, reason="order cancelled")
    db.session.rollback()
    assert db.session.get(type(pending_card), pending_card.id).status == PaymentStatus.PENDING


def test_switching_to_cash_while_stripe_is_down(app, db, pending_card):
    with pytest.raises(PaymentError, match="not answering"):
        start_payment(
            payable_type=PAYABLE,
            payable_id=1,
            customer=pending_card.customer,
            amount=20_000,
            method=PaymentMethod.CASH,
            return_url="/",
        )


class DiesAfterOneAnswer(httpx.HTTPTransport):
    """The real localstripe answers one call, then the server is gone (connection refused)."""

    def __init__(self) -> None:
        super().__init__()
        self.answered = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.answered:
            raise httpx.ConnectError("connection refused", request=request)
        self.answered += 1
        return super().handle_request(request)


def test_a_refused_cancel_then_a_dead_server_is_a_payment_error(app, db, monkeypatch):
    """Stripe refuses the cancel (the intent was cancelled elsewhere: a 400, not an outage), and
    the follow-up read of the intent finds the server down: still a PaymentError."""

    customer = UserFactory()
    db.session.commit()
    payment = start_payment(
        payable_type=PAYABLE, payable_id=2, customer=customer, amount=20_000, method=PaymentMethod.CARD, return_url="/"
    )
    db.session.commit()
    config = app.config
    httpx.post(
        f"{config['STRIPE_API_BASE']}/v1/payment_intents/{payment.intent_id}/cancel",
        headers={"Authorization": f"Bearer {config['STRIPE_SECRET_KEY']}"},
    ).raise_for_status()
    transport = DiesAfterOneAnswer()
    monkeypatch.setattr(
        "portal.payments.client.client",
        lambda: client_module.StripeClient(
            config["STRIPE_API_BASE"], config["STRIPE_SECRET_KEY"], timeout=5, transport=transport
        ),
    )
    with pytest.raises(PaymentError, match="not answering"):
        refund(payment, reason="order cancelled")
