"""Card helpers for any domain's tests: every `app` talks to the session's localstripe."""

from __future__ import annotations

import httpx

from portal.payments.models import Payment, PaymentMethod
from portal.payments.services import start_payment

PAYABLE = "test_order"  # a test-only payable: no table; tests/payments/conftest.py records its signals

SUCCESS_CARD = "4242424242424242"
# localstripe declines 4000000000000002 when the card is saved on the customer (Stripe declines
# it too); 4000000000000341 is only declined when charged.
DECLINED_CARD = "4000000000000002"


def card_token(app, number: str = SUCCESS_CARD) -> str:
    """What Stripe.js createToken does in the browser: the card goes to Stripe, we get a token."""
    response = httpx.post(
        f"{app.config['STRIPE_API_BASE']}/v1/tokens",
        data={
            "card[number]": number,
            "card[exp_month]": "12",
            "card[exp_year]": "2031",
            "card[cvc]": "123",
            "key": app.config["STRIPE_PUBLISHABLE_KEY"],
        },
    )
    assert response.status_code == 200, response.text
    return response.json()["id"]


def start(
    customer, method: PaymentMethod = PaymentMethod.CARD, *, payable_id: int = 1, amount: int = 25_000, **kwargs
) -> Payment:
    """Start (or resume) a payment for the test payable, as a domain's checkout would."""
    return start_payment(
        payable_type=PAYABLE,
        payable_id=payable_id,
        customer=customer,
        amount=amount,
        method=method,
        return_url=f"/test-orders/{payable_id}",
        **kwargs,
    )
