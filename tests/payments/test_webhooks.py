"""POST /webhooks/stripe: signatures, storing each event once, replays, order, reconcile."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest

from portal import notify
from portal.database import utcnow
from portal.jobs import enqueue
from portal.payments.models import Payment, PaymentStatus, Refund, WebhookEvent
from portal.payments.services import confirm_card, reconcile, reconcile_job, refund
from tests.factories import UserFactory
from tests.payments.conftest import event_for, signed, stripe_get
from tests.payments.helpers import DECLINED_CARD, card_token, start


@pytest.fixture
def payment(db):
    payment = start(UserFactory(), payable_id=3, amount=15_000)
    db.session.commit()
    return payment


def pay_at_stripe(app, payment, number="4242424242424242", *, expect=200):
    """The customer paid, but we heard nothing yet: confirm straight at localstripe."""
    headers = {"Authorization": f"Bearer {app.config['STRIPE_SECRET_KEY']}"}
    base = app.config["STRIPE_API_BASE"]
    card = httpx.post(
        f"{base}/v1/customers/{payment.stripe_customer_id}/sources",
        data={"source": card_token(app, number)},
        headers=headers,
    ).json()
    httpx.post(f"{base}/v1/payment_intents/{payment.intent_id}", data={"payment_method": card["id"]}, headers=headers)
    response = httpx.post(f"{base}/v1/payment_intents/{payment.intent_id}/confirm", headers=headers)
    assert response.status_code == expect, response.text


def deliver(client, event, **kwargs):
    payload, headers = signed(event, **kwargs)
    return client.post("/webhooks/stripe", data=payload, headers=headers)


def test_a_signed_succeeded_event_pays_the_payment(app, db, client, payment, signal_log):
    pay_at_stripe(app, payment)
    response = deliver(client, event_for(app, payment.intent_id))

    assert response.status_code == 200 and response.json == {"outcome": "applied"}
    db.session.refresh(payment)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert signal_log.count("succeeded") == 1
    assert db.session.query(WebhookEvent).one().processed_at is not None


@pytest.mark.parametrize(
    "tamper",
    ["wrong secret", "old timestamp", "no header", "edited payload"],
)
def test_a_bad_signature_is_refused_and_changes_nothing(app, db, client, payment, signal_log, tamper):
    pay_at_stripe(app, payment)
    event = event_for(app, payment.intent_id)
    payload, headers = signed(event)
    if tamper == "wrong secret":
        payload, headers = signed(event, secret="whsec_someone_else")
    elif tamper == "old timestamp":
        payload, headers = signed(event, timestamp=int(time.time()) - 3600)
    elif tamper == "no header":
        del headers["Stripe-Signature"]
    else:
        payload = payload.replace(b"succeeded", b"succeedeD")

    response = client.post("/webhooks/stripe", data=payload, headers=headers)

    assert response.status_code == 400
    db.session.refresh(payment)
    assert payment.status == PaymentStatus.PENDING
    assert db.session.query(WebhookEvent).count() == 0
    assert signal_log.calls == []


def test_the_same_event_ten_times_has_one_effect(app, db, client, payment, signal_log):
    pay_at_stripe(app, payment)
    event = event_for(app, payment.intent_id)

    outcomes = [deliver(client, event).json["outcome"] for _ in range(10)]

    assert outcomes == ["applied"] + ["duplicate"] * 9
    assert signal_log.count("succeeded") == 1
    assert db.session.query(WebhookEvent).count() == 1
    db.session.refresh(payment)
    assert [e.status for e in payment.events].count("succeeded") == 1


def test_a_late_payment_failed_after_success_changes_nothing(app, db, client, payment, signal_log):
    # First attempt declined, second paid; Stripe delivers the events in the wrong order.
    confirm_card(payment, card_token(app, DECLINED_CARD))
    db.session.commit()
    pay_at_stripe(app, payment)
    succeeded = event_for(app, payment.intent_id, "payment_intent.succeeded")
    failed = {**succeeded, "id": "evt_old_failure", "type": "payment_intent.payment_failed"}

    assert deliver(client, succeeded).status_code == 200
    assert deliver(client, failed).status_code == 200

    db.session.refresh(payment)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert signal_log.counter == {"failed": 1, "succeeded": 1}


def test_a_late_succeeded_after_a_full_refund_changes_nothing(app, db, client, payment, signal_log):
    """The flow has no way back from refunded: the late news is ignored, with no event and no signal."""
    confirm_card(payment, card_token(app))
    refund(payment, reason="warung closed")
    db.session.commit()
    events = len(payment.events)
    late = event_for(app, payment.intent_id, "payment_intent.succeeded", event_id="evt_late_success")

    assert deliver(client, late).status_code == 200

    db.session.refresh(payment)
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_amount == payment.amount
    assert len(payment.events) == events
    assert signal_log.counter == {"succeeded": 1, "refunded": 1}


def test_an_event_for_an_unknown_payment_is_kept_and_retried(app, db, client, payment, signal_log):
    """`succeeded` may come before the checkout that made the payment has committed."""
    pay_at_stripe(app, payment)
    event = event_for(app, payment.intent_id)
    intent_id = payment.intent_id
    # Pretend the payment row is not there yet (its transaction has not committed).
    payment.intent_id = None
    db.session.commit()

    first = deliver(client, event)
    assert first.status_code == 409  # not 2xx: Stripe will deliver it again
    stored = db.session.query(WebhookEvent).one()
    assert stored.processed_at is None and stored.attempts == 1

    payment.intent_id = intent_id
    db.session.commit()
    again = deliver(client, event)

    assert again.status_code == 200 and again.json == {"outcome": "applied"}
    db.session.refresh(payment)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert signal_log.count("succeeded") == 1


def test_reconcile_applies_a_webhook_that_never_came(app, db, payment, signal_log):
    pay_at_stripe(app, payment)

    assert reconcile(now=utcnow() + timedelta(minutes=5)) == {"payments": 1, "refunds": 0, "events": 0, "expired": 0}
    db.session.commit()
    assert reconcile(now=utcnow() + timedelta(minutes=6))["payments"] == 0

    db.session.refresh(payment)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert signal_log.count("succeeded") == 1
    assert stripe_get(app, f"/v1/payment_intents/{payment.intent_id}")["status"] == "succeeded"


def test_reconcile_leaves_fresh_payments_alone(app, db, payment):
    pay_at_stripe(app, payment)
    assert reconcile()["payments"] == 0
    assert db.session.get(Payment, payment.id).status == PaymentStatus.PENDING


def test_the_reconcile_command(app, db, payment):
    pay_at_stripe(app, payment)
    result = app.test_cli_runner().invoke(args=["payments", "reconcile", "--minutes", "0"])
    assert "reconciled 1 payments" in result.output
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == PaymentStatus.SUCCEEDED


def test_a_failed_payment_reported_by_webhook_tells_the_customer(app, db, client, payment, signal_log):
    notify.outbox.clear()
    pay_at_stripe(app, payment, number="4000000000000341", expect=402)  # saved fine, declined when charged
    event = event_for(app, payment.intent_id, "payment_intent.payment_failed")

    assert deliver(client, event).status_code == 200
    db.session.refresh(payment)
    assert payment.status == PaymentStatus.FAILED
    assert signal_log.counter == {"failed": 1}
    [message] = notify.outbox
    assert "Rp15.000" in message.text and message.url.endswith(f"/payments/{payment.id}/pay")


def test_the_reconcile_job_runs_through_the_job_queue(app, db, payment, signal_log):
    """`enqueue(reconcile_job)` (inline, or RQ when REDIS_URL is set) is what a scheduler calls."""
    pay_at_stripe(app, payment)
    payment.updated_at = utcnow() - timedelta(minutes=10)
    enqueue(reconcile_job)
    db.session.commit()

    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == PaymentStatus.SUCCEEDED
    assert signal_log.count("succeeded") == 1


def pending_refund(app, db, payment, amount):
    """A refund Stripe accepted as `pending` (real Stripe does, for some cards): our row waits."""
    answer = httpx.post(
        f"{app.config['STRIPE_API_BASE']}/v1/refunds",
        data={"payment_intent": payment.intent_id, "amount": amount * 100},
        headers={"Authorization": f"Bearer {app.config['STRIPE_SECRET_KEY']}"},
    ).json()
    row = Refund(
        payment=payment, amount=amount, reason="route closed", refund_id=answer["id"], idempotency_key="refund-test-1"
    )
    db.session.add(row)
    db.session.commit()
    return answer


def test_reconcile_settles_a_refund_whose_webhook_never_came(app, db, payment, signal_log):
    confirm_card(payment, card_token(app))
    db.session.commit()
    pending_refund(app, db, payment, 5_000)

    assert reconcile()["refunds"] == 1
    db.session.commit()
    assert reconcile()["refunds"] == 0

    db.session.refresh(payment)
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED and payment.refunded_amount == 5_000
    assert signal_log.count("refunded") == 1


def test_a_charge_refunded_webhook_settles_the_refund_once(app, db, client, payment, signal_log):
    confirm_card(payment, card_token(app))
    db.session.commit()
    answer = pending_refund(app, db, payment, 15_000)
    event = {
        "id": "evt_refund_1",
        "type": "charge.refunded",
        "created": int(time.time()),
        "data": {"object": {"id": answer["charge"], "payment_intent": payment.intent_id}},
    }

    for _ in range(3):
        assert deliver(client, event).status_code == 200

    db.session.refresh(payment)
    assert payment.status == PaymentStatus.REFUNDED
    assert signal_log.count("refunded") == 1


def test_a_refund_made_in_the_stripe_dashboard_is_recorded_once(app, db, client, payment, signal_log):
    confirm_card(payment, card_token(app))
    db.session.commit()
    refund = httpx.post(
        f"{app.config['STRIPE_API_BASE']}/v1/refunds",
        data={"payment_intent": payment.intent_id, "amount": 400_000},
        headers={"Authorization": f"Bearer {app.config['STRIPE_SECRET_KEY']}"},
    ).json()
    charge = stripe_get(app, f"/v1/charges/{refund['charge']}")
    for n in range(3):  # Stripe may send it again, with new ids
        event = {
            "id": f"evt_dash_{n}",
            "type": "charge.refunded",
            "created": int(time.time()),
            "data": {"object": charge},
        }
        assert deliver(client, event).status_code == 200

    db.session.refresh(payment)
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED and payment.refunded_amount == 4_000
    assert [call[3] for call in signal_log.calls if call[0] == "refunded"] == [4_000]


def test_reconcile_cancels_abandoned_checkouts_instead_of_polling_them_forever(app, db, payment):
    """A card checkout nobody finished in PAYMENTS_RECONCILE_DAYS (7) is cancelled at Stripe (it
    can never charge later) and no longer polled."""
    payment.created_at = payment.updated_at = utcnow() - timedelta(days=8)
    db.session.commit()
    counts = reconcile()
    db.session.commit()
    assert counts["expired"] == 1 and counts["payments"] == 0
    db.session.refresh(payment)
    assert payment.status == PaymentStatus.CANCELLED
    assert stripe_get(app, f"/v1/payment_intents/{payment.intent_id}")["status"] == "canceled"
    assert reconcile() == {"payments": 0, "refunds": 0, "events": 0, "expired": 0}


def test_reconcile_gives_up_on_a_stored_event_after_its_attempts(app, db, client, payment):
    app.config["PAYMENTS_WEBHOOK_MAX_ATTEMPTS"] = 3
    pay_at_stripe(app, payment)
    event = event_for(app, payment.intent_id)
    payment.intent_id = None  # an event for a payment we do not have
    db.session.commit()
    assert deliver(client, event).status_code == 409
    for minutes in range(1, 6):
        reconcile(now=utcnow() + timedelta(minutes=minutes))
        db.session.commit()
    stored = db.session.query(WebhookEvent).one()
    assert stored.attempts == 3 and stored.processed_at is None and "given up" in stored.note
