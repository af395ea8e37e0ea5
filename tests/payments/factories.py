"""Payments as other domains' tests need them, without going through Stripe.

For a card payment that really exists at Stripe, call `portal.payments.services.start_payment`
(every `app` talks to localstripe) and pay it with `tests.payments.helpers.card_token`.
"""

from __future__ import annotations

import factory

from portal.payments.models import Payment, PaymentMethod, PaymentStatus
from tests.factories import BaseFactory, UserFactory


class PaymentFactory(BaseFactory):
    class Meta:
        model = Payment

    payable_type = "food_order"
    payable_id = factory.Sequence(lambda n: n + 1)
    customer = factory.SubFactory(UserFactory)
    method = PaymentMethod.CASH.value
    amount = 25_000
    status = PaymentStatus.PENDING.value
    idempotency_key = factory.Sequence(lambda n: f"payment-factory-{n}")
    return_url = "/"
