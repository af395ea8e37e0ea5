"""What the webhook tests missed when a one-line mistake was planted: de-duplication keyed on the
wrong id (a second, different event for the same payment answered "duplicate"), and a late
`succeeded` turning a refunded payment back into a paid one."""

from __future__ import annotations

import pytest

from portal.payments.models import PaymentStatus, WebhookEvent
from portal.payments.services import confirm_card, refund
from tests.factories import UserFactory
from tests.payments.conftest import event_for
from tests.payments.helpers import card_token, start
from tests.payments.test_webhooks import deliver, pay_at_stripe


@pytest.fixture
def payment(db):
    payment = start(UserFactory(), payable_id=5, amount=30_000)
    db.session.commit()
    return payment


def test_two_different_events_for_one_payment_are_both_applied(app, db, client, payment, signal_log):
    created = event_for(app, payment.intent_id, "payment_intent.created", event_id="evt_created")
    assert deliver(client, created).json == {"outcome": "applied"}
    pay_at_stripe(app, payment)
    succeeded = event_for(app, payment.intent_id, "payment_intent.succeeded", event_id="evt_succeeded")

    assert deliver(client, succeeded).json == {"outcome": "applied"}  # same payment, another event
    assert deliver(client, succeeded).json == {"outcome": "duplicate"}  # the same event again

    assert sorted(e.event_id for e in db.session.query(WebhookEvent)) == ["evt_created", "evt_succeeded"]
    db.session.refresh(payment)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert signal_log.count("succeeded") == 1


@pytest.mark.parametrize(("refunded", "after"), [(None, PaymentStatus.REFUNDED), (10_000, "partially_refunded")])
def test_a_late_succeeded_event_never_undoes_a_refund(app, db, client, payment, signal_log, refunded, after):
    confirm_card(payment, card_token(app))
    db.session.commit()
    refund(payment, amount=refunded, reason="warung closed")
    db.session.commit()
    assert payment.status == after

    late = event_for(app, payment.intent_id, "payment_intent.succeeded", event_id="evt_late_success")
    assert deliver(client, late).status_code == 200

    db.session.refresh(payment)
    assert payment.status == after
    assert payment.refunded_amount == (refunded or 30_000)
    assert signal_log.count("succeeded") == 1 and signal_log.count("refunded") == 1


def test_no_payment_goes_back_from_a_refund():
    for status in (PaymentStatus.REFUNDED, PaymentStatus.PARTIALLY_REFUNDED):
        for back in (PaymentStatus.SUCCEEDED, PaymentStatus.PENDING, PaymentStatus.PROCESSING):
            assert not status.can_become(back)
