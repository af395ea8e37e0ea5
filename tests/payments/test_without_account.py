"""A payer without an account (customer None): a payable's own link authorises them (medicine's
patient page); payments' own pages never show such a payment, and no card is shared."""

from __future__ import annotations

from portal.payments.models import PaymentMethod
from tests.payments.helpers import start


def test_a_payment_without_an_account_has_its_own_stripe_customer_and_no_pay_page(app, db, client, auth, customer):
    first = start(None, payable_id=31)
    second = start(None, payable_id=32)
    mine = start(customer, payable_id=33)
    db.session.commit()

    assert first.customer_id is None and first.intent_id and first.stripe_customer_id
    # Cards saved while paying one are never offered to the holder of another link.
    assert len({first.stripe_customer_id, second.stripe_customer_id, mine.stripe_customer_id}) == 3
    auth.login(customer)
    assert client.get(f"/payments/{first.id}/pay").status_code == 404
    assert client.get(f"/payments/{first.id}").status_code == 404
    assert client.get(f"/payments/{mine.id}/pay").status_code == 200


def test_starting_again_without_an_account_reuses_the_payment(app, db):
    payment = start(None, payable_id=41)
    again = start(None, payable_id=41, amount=30_000)

    assert again.id == payment.id and again.amount == 30_000
    assert start(None, PaymentMethod.CASH, payable_id=42).customer_id is None
