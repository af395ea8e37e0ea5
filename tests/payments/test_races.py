"""The webhook and the customer's return from checkout complete the same payment at the same
moment: exactly one payment_succeeded (SQLite: writers serialised; PostgreSQL: FOR UPDATE)."""

from __future__ import annotations

import threading

from portal.database import serialized
from portal.extensions import db as _db
from portal.payments.models import Payment, PaymentMethod, PaymentStatus
from portal.payments.services import confirm_card, start_payment, sync_payment
from tests.factories import UserFactory
from tests.payments.conftest import PAYABLE, card_token, event_for, signed
from tests.payments.test_webhooks import pay_at_stripe


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
    customer = UserFactory()
    db.session.flush()
    payment = start_payment(
        payable_type=PAYABLE, payable_id=9, customer=customer, amount=30_000, method=PaymentMethod.CARD, return_url="/"
    )
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
