"""The webhook and the customer's return from checkout complete the same payment at the same
moment: exactly one payment_succeeded (SQLite: writers serialised; PostgreSQL: FOR UPDATE)."""

from __future__ import annotations

import threading

import pytest

from portal.accounts.models import User
from portal.database import serialized
from portal.extensions import db as _db
from portal.payments.models import Payment, PaymentMethod, PaymentStatus
from portal.payments.services import confirm_card, start_payment, sync_payment
from tests.factories import UserFactory
from tests.payments.conftest import PAYABLE, event_for, signed
from tests.payments.helpers import card_token
from tests.payments.helpers import start as start_test_payment
from tests.payments.test_webhooks import pay_at_stripe

pytestmark = pytest.mark.alone  # tests/parallel.py: threads racing a webhook against a checkout


def test_webhook_and_checkout_return_race_to_one_effect(app, db, signal_log):
    customer = UserFactory()
    db.session.flush()
    payments = [
        start_payment(
            payable_type=PAYABLE,
            payable_id=n,
            customer=customer,
            amount=10_000 + n,
            method=PaymentMethod.CARD,
            return_url="/",
        )
        for n in range(1, 6)
    ]
    db.session.commit()
    for payment in payments:
        pay_at_stripe(app, payment)
    events = [signed(event_for(app, p.intent_id)) for p in payments]
    ids = [p.id for p in payments]
    db.session.remove()
    errors: list[BaseException] = []

    for payment_id, (payload, headers) in zip(ids, events, strict=True):
        barrier = threading.Barrier(3)

        def webhook(payload=payload, headers=headers, barrier=barrier):
            try:
                barrier.wait()
                with app.app_context():
                    response = app.test_client().post("/webhooks/stripe", data=payload, headers=headers)
                    assert response.status_code == 200, response.get_data(as_text=True)
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        def checkout_return(payment_id=payment_id, barrier=barrier):
            try:
                barrier.wait()
                with app.app_context(), serialized():
                    sync_payment(_db.session.get(Payment, payment_id))
                    _db.session.commit()
                    _db.session.remove()
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [
            threading.Thread(target=webhook),
            threading.Thread(target=checkout_return),
            threading.Thread(target=checkout_return),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert errors == []
    for payment_id in ids:
        assert signal_log.count("succeeded", payable_id=db.session.get(Payment, payment_id).payable_id) == 1
        assert db.session.get(Payment, payment_id).status == PaymentStatus.SUCCEEDED


def test_two_tabs_confirming_the_same_payment_charge_once(app, db, signal_log):
    payment = start_test_payment(UserFactory(), payable_id=9, amount=30_000)
    db.session.commit()
    tokens = [card_token(app), card_token(app)]
    payment_id = payment.id
    db.session.remove()
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def tab(token):
        try:
            barrier.wait()
            with app.test_request_context("/", method="POST"), serialized():
                confirm_card(_db.session.get(Payment, payment_id), token)
                _db.session.commit()
                _db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=tab, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert signal_log.count("succeeded") == 1
    assert db.session.get(Payment, payment_id).status == PaymentStatus.SUCCEEDED


def _deliver_in_thread(app, payload, headers, results, start=None):
    def run():
        try:
            if start is not None:
                start.wait()
            with app.app_context():
                response = app.test_client().post("/webhooks/stripe", data=payload, headers=headers)
                results.append(response.status_code)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            results.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_succeeded_arriving_before_the_checkout_commits_has_one_effect(app, db, signal_log):
    """PostgreSQL: the webhook cannot see the payment yet -> stored, 409, Stripe retries.
    SQLite: the webhook waits for the checkout's write lock, then applies it. One effect."""
    customer = UserFactory()
    db.session.commit()
    payment = start_payment(
        payable_type=PAYABLE, payable_id=4, customer=customer, amount=18_000, method=PaymentMethod.CARD, return_url="/"
    )
    pay_at_stripe(app, payment)  # paid at Stripe while our transaction is still open
    payload, headers = signed(event_for(app, payment.intent_id))
    results: list = []
    thread = _deliver_in_thread(app, payload, headers, results)
    thread.join(timeout=1)
    db.session.commit()  # the checkout commits
    thread.join(timeout=30)

    assert results in ([409], [200])
    retry: list = []
    _deliver_in_thread(app, payload, headers, retry).join(timeout=30)  # Stripe's next delivery
    assert retry == [200]
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == PaymentStatus.SUCCEEDED
    assert signal_log.count("succeeded") == 1


def test_a_storm_of_ten_concurrent_deliveries_has_one_effect(app, db, signal_log):
    payment = start_test_payment(UserFactory(), payable_id=5, amount=21_000)
    db.session.commit()
    pay_at_stripe(app, payment)
    payload, headers = signed(event_for(app, payment.intent_id))
    payment_id = payment.id
    db.session.remove()
    start = threading.Barrier(10)
    results: list = []

    threads = [_deliver_in_thread(app, payload, headers, results, start) for _ in range(10)]
    for thread in threads:
        thread.join(timeout=60)

    assert results == [200] * 10
    assert signal_log.count("succeeded") == 1
    assert [e.status for e in db.session.get(Payment, payment_id).events].count("succeeded") == 1


def test_a_checkout_return_reading_stale_state_does_not_fail_or_repeat(app, db, signal_log):
    """The return page read the payment (pending), then the webhook committed it, then the page
    syncs: no error, no second effect (SQLite: stale snapshot retried; PostgreSQL: FOR UPDATE)."""
    payment = start_test_payment(UserFactory(), payable_id=6, amount=9_000)
    db.session.commit()
    pay_at_stripe(app, payment)
    payload, headers = signed(event_for(app, payment.intent_id))

    assert db.session.get(Payment, payment.id).status == PaymentStatus.PENDING  # the page's read
    results: list = []
    _deliver_in_thread(app, payload, headers, results).join(timeout=30)
    assert results == [200]

    sync_payment(payment)
    db.session.commit()

    assert payment.status == PaymentStatus.SUCCEEDED
    assert signal_log.count("succeeded") == 1


def test_two_checkouts_of_the_same_payable_at_once_make_one_payment_and_one_intent(app, db):
    customer = UserFactory()
    db.session.commit()
    customer_id = customer.id
    db.session.remove()
    barrier = threading.Barrier(2)
    made: list = []

    def checkout():
        try:
            barrier.wait()
            with app.test_request_context("/", method="POST"):
                payment = start_payment(
                    payable_type=PAYABLE,
                    payable_id=11,
                    customer=_db.session.get(User, customer_id),
                    amount=12_000,
                    method=PaymentMethod.CARD,
                    return_url="/",
                )
                made.append((payment.id, payment.intent_id))
                _db.session.commit()
                _db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            made.append(error)

    threads = [threading.Thread(target=checkout) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(made) == 2 and made[0] == made[1], made
    assert db.session.query(Payment).count() == 1
