"""The confirm call reached the payment API and charged the card, but its answer was lost on the
way back. The customer was told "Nothing was charged" while the order waited unpaid. Only a
refused connection may say nothing was charged; after the request went out, the portal says it
is checking, looks the PaymentIntent up at once and settles the payment.

Against localstripe behind a real loopback proxy that throws answers away (tests/payments/lossy_proxy.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from portal.database import utcnow
from portal.payments.models import Payment, PaymentStatus
from portal.payments.services import reconcile
from tests.payments.conftest import stripe_get
from tests.payments.helpers import card_token, start
from tests.payments.lossy_proxy import LossyProxy, refused_url

NOTHING_CHARGED = "Nothing was charged"


@pytest.fixture
def proxy(app) -> Iterator[LossyProxy]:
    proxy = LossyProxy(app.config["STRIPE_API_BASE"]).start()
    localstripe_url = app.config["STRIPE_API_BASE"]
    app.config["STRIPE_API_BASE"] = proxy.url
    app.config["STRIPE_TIMEOUT"] = 3
    yield proxy
    app.config["STRIPE_API_BASE"] = localstripe_url
    proxy.stop()


@pytest.fixture
def payment(db, customer):
    payment = start(customer, payable_id=9, amount=42_500)
    db.session.commit()
    return payment


def confirm(auth, payment, token, *, proxy: LossyProxy | None = None, drop: tuple[str, ...] = ()):
    """The card page's submit; only the confirm call itself goes through a dropping proxy."""
    csrf = auth.csrf_token(f"/payments/{payment.id}/pay")
    data = {"token": token, "csrf_token": csrf}
    if proxy is None:
        return auth.client.post(f"/payments/{payment.id}/confirm", data=data, headers={"Accept": "application/json"})
    with proxy.dropping(*drop):
        return auth.client.post(f"/payments/{payment.id}/confirm", data=data, headers={"Accept": "application/json"})


def settled(db, payment) -> Payment:
    db.session.expire_all()
    return db.session.get(Payment, payment.id)


def test_a_lost_confirm_answer_is_looked_up_at_once_and_the_payment_settled(
    app, db, client, auth, customer, payment, proxy, signal_log
):
    token = card_token(app)
    auth.login(customer)
    response = confirm(auth, payment, token, proxy=proxy, drop=("/confirm",))

    assert proxy.dropped == [f"POST /v1/payment_intents/{payment.intent_id}/confirm"]
    assert stripe_get(app, f"/v1/payment_intents/{payment.intent_id}")["status"] == "succeeded"  # charged
    assert NOTHING_CHARGED not in response.get_data(as_text=True)
    assert response.status_code == 200 and "redirect" in response.json
    assert settled(db, payment).status == PaymentStatus.SUCCEEDED
    assert signal_log.count("succeeded") == 1


def test_when_the_lookup_fails_too_the_customer_is_told_we_are_checking(
    app, db, client, auth, customer, payment, proxy, signal_log
):
    token = card_token(app)
    auth.login(customer)
    response = confirm(
        auth, payment, token, proxy=proxy, drop=("/confirm", f"GET /v1/payment_intents/{payment.intent_id}")
    )

    body = response.get_data(as_text=True)
    assert NOTHING_CHARGED not in body
    assert "checking your payment" in body
    assert stripe_get(app, f"/v1/payment_intents/{payment.intent_id}")["status"] == "succeeded"
    assert settled(db, payment).status in (PaymentStatus.PENDING, PaymentStatus.PROCESSING)

    # The answer comes back: the receipt page looks it up, and so would the next reconcile run.
    receipt = client.get(f"/payments/{payment.id}")
    assert receipt.status_code == 200
    assert settled(db, payment).status == PaymentStatus.SUCCEEDED
    assert signal_log.count("succeeded") == 1


def test_the_settle_job_after_a_lost_answer_settles_without_a_page_visit(
    app, db, client, auth, customer, payment, proxy, signal_log
):
    token = card_token(app)
    auth.login(customer)
    confirm(auth, payment, token, proxy=proxy, drop=("/confirm", f"GET /v1/payment_intents/{payment.intent_id}"))
    assert settled(db, payment).status != PaymentStatus.SUCCEEDED
    lookups = [line for line in proxy.dropped if line.startswith("GET")]
    assert len(lookups) == 2, "one lookup in the request, one by the settle job queued after it"
    # The default set-up runs reconcile too (`make run` starts it beside the portal).
    reconcile(now=utcnow() + timedelta(minutes=5))
    db.session.commit()
    assert settled(db, payment).status == PaymentStatus.SUCCEEDED
    assert signal_log.count("succeeded") == 1


def test_a_refused_connection_says_nothing_was_charged(app, db, client, auth, customer, payment, signal_log):
    token = card_token(app)
    app.config["STRIPE_API_BASE"] = refused_url()
    auth.login(customer)
    response = confirm(auth, payment, token)

    assert response.status_code == 503
    assert NOTHING_CHARGED in response.json["error"]
    assert settled(db, payment).status == PaymentStatus.PENDING
    assert signal_log.calls == []
