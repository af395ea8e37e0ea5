"""Payments tests pay for a test-only payable ("test_order"): no table, just a receiver that
records every signal, so each test can assert "exactly one payment_succeeded"."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter

import httpx
import pytest

from portal.payments import signals
from portal.payments.client import sign
from portal.payments.models import PaymentMethod
from portal.payments.services import start_payment
from tests.payments.helpers import PAYABLE
from tests.payments_fixtures import WEBHOOK_SECRET


class SignalLog:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, str, str]] = []
        self.lock = threading.Lock()

    def receiver(self, name: str):
        def receive(payment, **extra):
            if payment.payable_type != PAYABLE:
                return
            with self.lock:
                self.calls.append((name, payment.payable_id, payment.status, extra.get("amount")))

        return receive

    def count(self, name: str, payable_id: int | None = None) -> int:
        return sum(1 for call in self.calls if call[0] == name and (payable_id is None or call[1] == payable_id))

    @property
    def counter(self) -> Counter:
        return Counter(call[0] for call in self.calls)


@pytest.fixture
def payment(db, customer):
    """A card payment of Rp42.500 waiting on its card page; paid, it returns to "my activity"."""
    payment = start_payment(
        payable_type=PAYABLE,
        payable_id=7,
        customer=customer,
        amount=42_500,
        method=PaymentMethod.CARD,
        return_url="/my/activity",
        description="2 items from Warung Bu Sri",
    )
    db.session.commit()
    return payment


@pytest.fixture
def signal_log():
    log = SignalLog()
    receivers = {
        "succeeded": log.receiver("succeeded"),
        "failed": log.receiver("failed"),
        "refunded": log.receiver("refunded"),
    }
    signals.payment_succeeded.connect(receivers["succeeded"])
    signals.payment_failed.connect(receivers["failed"])
    signals.payment_refunded.connect(receivers["refunded"])
    yield log
    signals.payment_succeeded.disconnect(receivers["succeeded"])
    signals.payment_failed.disconnect(receivers["failed"])
    signals.payment_refunded.disconnect(receivers["refunded"])


def stripe_get(app, path: str) -> dict:
    response = httpx.get(
        app.config["STRIPE_API_BASE"] + path, headers={"Authorization": f"Bearer {app.config['STRIPE_SECRET_KEY']}"}
    )
    assert response.status_code == 200, response.text
    return response.json()


def event_for(
    app, intent_id: str, event_type: str = "payment_intent.succeeded", *, event_id: str | None = None
) -> dict:
    intent = stripe_get(app, f"/v1/payment_intents/{intent_id}")
    return {
        "id": event_id or f"evt_{intent_id}_{event_type}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "data": {"object": intent},
    }


def signed(event: dict, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> tuple[bytes, dict]:
    payload = json.dumps(event).encode()
    return payload, {"Stripe-Signature": sign(payload, secret, timestamp), "Content-Type": "application/json"}


@pytest.fixture(autouse=True)
def _request(app):
    """Services' messages are lazy; the assertions read them in English, as in a tourist's request."""
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        yield
