"""Cash on delivery, regency subsidy, and the payment server being down or slow."""

from __future__ import annotations

import socket
import threading

import pytest

from portal import create_app
from portal.config import load
from portal.payments.models import Payment, PaymentMethod, PaymentStatus
from portal.payments.services import (
    PaymentError,
    confirm_card,
    mark_cash_received,
    reconcile,
    refund,
    subsidy_totals,
)
from tests.factories import UserFactory
from tests.payments.conftest import PAYABLE, stripe_get
from tests.payments.factories import PaymentFactory
from tests.payments.helpers import card_token, start


def test_cash_waits_for_the_courier_then_is_paid_once(db, customer, signal_log):
    courier = UserFactory()
    payment = start(customer, PaymentMethod.CASH)
    db.session.commit()
    assert payment.status == PaymentStatus.PENDING and payment.intent_id is None

    mark_cash_received(payment, by=courier)
    mark_cash_received(payment, by=courier)
    db.session.commit()

    assert payment.status == PaymentStatus.SUCCEEDED
    assert signal_log.count("succeeded") == 1
    assert payment.events[-1].by_id == courier.id


def test_cash_refund_is_recorded_without_stripe(db, customer, signal_log):
    payment = start(customer, PaymentMethod.CASH)
    mark_cash_received(payment, by=customer)
    refund(payment, reason="cold food")
    db.session.commit()
    assert payment.status == PaymentStatus.REFUNDED and signal_log.count("refunded") == 1


def test_a_subsidy_is_paid_at_once_and_counted_per_payer(db, customer, signal_log):
    dtks = "Pemkab Banyuwangi (DTKS)"
    start(customer, PaymentMethod.SUBSIDY, payable_id=1, amount=12_000, payer=dtks)
    start(customer, PaymentMethod.SUBSIDY, payable_id=2, amount=8_000, payer=dtks)
    start(customer, PaymentMethod.SUBSIDY, payable_id=3, amount=5_000, payer="RSUD Blambangan")
    db.session.commit()

    assert signal_log.count("succeeded") == 3
    assert subsidy_totals() == [(dtks, 2, 20_000), ("RSUD Blambangan", 1, 5_000)]


def test_a_subsidy_needs_a_payer(db, customer):
    with pytest.raises(PaymentError, match="who pays"):
        start(customer, PaymentMethod.SUBSIDY)


def test_switching_from_card_to_cash_cancels_the_intent(app, db, customer):
    card = start(customer, PaymentMethod.CARD)
    db.session.commit()
    cash = start(customer, PaymentMethod.CASH)
    db.session.commit()

    assert cash.id != card.id and cash.method == PaymentMethod.CASH
    assert db.session.get(Payment, card.id).status == PaymentStatus.CANCELLED
    assert stripe_get(app, f"/v1/payment_intents/{card.intent_id}")["status"] == "canceled"


def test_payment_server_down_gives_a_clear_message_and_the_payable_can_pay_later(app, db, customer):
    base = app.config["STRIPE_API_BASE"]
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        app.config["STRIPE_API_BASE"] = f"http://127.0.0.1:{closed.getsockname()[1]}"  # nobody listens
    with pytest.raises(PaymentError, match=r"not answering right now\. Nothing was charged"):
        start(customer, PaymentMethod.CARD)
    db.session.commit()  # the caller keeps its order awaiting payment
    payment = db.session.query(Payment).one()
    assert payment.intent_id is None and payment.status == PaymentStatus.PENDING

    app.config["STRIPE_API_BASE"] = base
    again = start(customer, PaymentMethod.CARD)
    db.session.commit()
    assert again.id == payment.id and again.intent_id


def test_a_slow_payment_server_times_out_with_the_same_message(app, db, customer):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts connections, never answers
    stop = threading.Event()
    app.config["STRIPE_API_BASE"] = f"http://127.0.0.1:{silent.getsockname()[1]}"
    app.config["STRIPE_TIMEOUT"] = 0.5
    try:
        with pytest.raises(PaymentError, match="not answering right now"):
            start(customer, PaymentMethod.CARD)
    finally:
        stop.set()
        silent.close()


def test_a_refund_while_the_payment_server_is_down_is_queued_and_sent_once_later(app, db, customer, signal_log):
    payment = start(customer, PaymentMethod.CARD, amount=40_000)
    db.session.commit()
    confirm_card(payment, card_token(app))
    db.session.commit()

    base = app.config["STRIPE_API_BASE"]
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        app.config["STRIPE_API_BASE"] = f"http://127.0.0.1:{closed.getsockname()[1]}"
    refund(payment, reason="Ijen route closed")  # the caller's cancellation goes on
    db.session.commit()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.refundable == 0
    with pytest.raises(PaymentError, match="nothing left to refund"):
        refund(payment, reason="asked twice")
    assert reconcile()["refunds"] == 0  # still down: nothing changes, nothing lost

    app.config["STRIPE_API_BASE"] = base
    assert reconcile()["refunds"] == 1
    db.session.commit()
    assert reconcile()["refunds"] == 0

    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_amount == 40_000
    assert signal_log.count("refunded") == 1
    assert len(stripe_get(app, f"/v1/refunds?payment_intent={payment.intent_id}")["data"]) == 1


def test_production_refuses_to_start_without_stripe_keys(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 32)
    monkeypatch.setenv("DATA_KEY", "dGVzdGluZy1kYXRhLWtleS1ub3Qtc2VjcmV0LTEyMzQ=")
    monkeypatch.setenv("PUBLIC_URL", "https://gancang.example")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setenv("DATABASE_URL", "postgresql://gancang@db.example/gancang")
    for name in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    config = load("production")
    assert config.STRIPE_API_BASE == "https://api.stripe.com"
    with pytest.raises(RuntimeError, match="STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY, STRIPE_WEBHOOK_SECRET"):
        create_app(config)


def test_the_factory_makes_a_cash_payment_the_courier_can_complete(db, signal_log):
    payment = PaymentFactory(payable_type=PAYABLE)
    mark_cash_received(payment, by=payment.customer)
    assert payment.status == PaymentStatus.SUCCEEDED and signal_log.count("succeeded") == 1
