"""A correctly signed webhook of an odd shape is answered 400 and leaves nothing stored: it gave
500 (`{"type": ["x"]}`, `{"data": {"object": "str"}}`) and could be stored half-read."""

from __future__ import annotations

import pytest

from portal.payments.models import WebhookEvent
from tests.payments.conftest import signed

GOOD = {"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_1", "status": "succeeded"}}}


@pytest.mark.parametrize(
    "event",
    [
        {"id": "evt_1", "type": ["x"], "data": {"object": {}}},
        {"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": "str"}},
        {"id": "evt_1", "type": "payment_intent.succeeded", "data": "x"},
        {"id": "evt_1", "type": "payment_intent.succeeded"},
        {"id": ["evt_1"], "type": "payment_intent.succeeded", "data": {"object": {}}},
        {"id": 7, "type": "payment_intent.succeeded", "data": {"object": {}}},
        {"id": "e" * 256, "type": "payment_intent.succeeded", "data": {"object": {}}},
        {"id": "evt_1", "type": "t" * 81, "data": {"object": {}}},
        {"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {"id": {"x": 1}}}},
        {"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_1", "amount": "1e9"}}},
        {"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_1", "amount": 1.5}}},
        {"id": "evt_1", "type": "payment_intent.payment_failed", "data": {"object": {"id": "pi_1", "status": 3}}},
        {"id": "evt_1", "type": "charge.refunded", "data": {"object": {"payment_intent": ["pi_1"]}}},
        {
            "id": "evt_1",
            "type": "charge.refunded",
            "data": {"object": {"payment_intent": "pi_1", "amount_refunded": "-9"}},
        },
        {"id": "evt_1", "type": "charge.refunded", "data": {"object": {"amount_refunded": True}}},
        {"id": "evt_1", "type": "payment_intent.failed", "data": {"object": {"last_payment_error": "no"}}},
    ],
)
def test_a_signed_event_of_an_odd_shape_is_refused_and_not_stored(client, db, event):
    payload, headers = signed(event)
    response = client.post("/webhooks/stripe", data=payload, headers=headers)
    assert response.status_code == 400
    assert response.json == {"error": "malformed event"}
    assert db.session.query(WebhookEvent).count() == 0


def test_a_well_formed_event_for_an_unknown_payment_is_still_stored_for_later(client, db):
    payload, headers = signed(GOOD)
    response = client.post("/webhooks/stripe", data=payload, headers=headers)
    assert response.status_code == 409
    assert db.session.query(WebhookEvent).one().event_id == "evt_1"


def test_amounts_as_digit_strings_are_accepted_as_localstripe_sends_them(client, db):
    event = {**GOOD, "data": {"object": {"id": "pi_1", "status": "succeeded", "amount": "3000000"}}}
    payload, headers = signed(event)
    assert client.post("/webhooks/stripe", data=payload, headers=headers).status_code == 409  # stored, unknown
