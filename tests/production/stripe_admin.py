"""What the tests do at Stripe (localstripe) themselves: pay an intent behind our back, read it."""

from __future__ import annotations

import time

import httpx

from tests.production.story import card_token


class StripeAdmin:
    def __init__(self, env: dict[str, str]) -> None:
        self.base = env["STRIPE_API_BASE"]
        self.publishable = env["STRIPE_PUBLISHABLE_KEY"]
        self.headers = {"Authorization": f"Bearer {env['STRIPE_SECRET_KEY']}"}

    def pay(self, intent_id: str, customer_id: str) -> None:
        """The customer paid (the card was charged) but the portal heard nothing yet."""
        card = httpx.post(
            f"{self.base}/v1/customers/{customer_id}/sources",
            data={"source": card_token(self.base, self.publishable)},
            headers=self.headers,
        ).json()
        httpx.post(
            f"{self.base}/v1/payment_intents/{intent_id}", data={"payment_method": card["id"]}, headers=self.headers
        )
        answer = httpx.post(f"{self.base}/v1/payment_intents/{intent_id}/confirm", headers=self.headers)
        assert answer.status_code == 200, answer.text

    def get(self, path: str) -> dict:
        answer = httpx.get(f"{self.base}{path}", headers=self.headers)
        answer.raise_for_status()
        return answer.json()

    def event(self, intent_id: str, event_id: str, event_type: str = "payment_intent.succeeded") -> dict:
        return {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "data": {"object": self.get(f"/v1/payment_intents/{intent_id}")},
        }
