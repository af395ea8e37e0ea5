"""A small client of the Stripe HTTP API over httpx: the few calls Gancang makes, nothing else.

Why not the `stripe` SDK: we use five endpoints, and a thin client keeps the wire format in
view (form-encoded params, `Idempotency-Key`, timeouts, error shapes), talks to localstripe and
to Stripe the same way, and needs no global SDK state or `allow_sync_methods` switches.
Amounts cross this boundary in Stripe's minor units: IDR is a two-decimal currency for Stripe,
so Rp25.000 is sent as 2500000.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
from flask import current_app

log = logging.getLogger(__name__)
CURRENCY = "idr"


def to_minor(rupiah: int) -> int:
    return int(rupiah) * 100


def from_minor(minor: int | str) -> int:
    return int(minor) // 100


class StripeError(Exception):
    """The API refused (`status` 4xx, `code` e.g. "card_declined") or could not be reached (status 0).

    `sent` says whether the request may have reached the API: False only when the connection was
    never made (refused, no route, connect timeout). A timeout or a reset after sending, or a 5xx,
    leaves the outcome unknown: a confirm may have charged the card.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        code: str | None = None,
        body: dict | None = None,
        sent: bool = True,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.body = body or {}
        self.sent = sent

    @property
    def unreachable(self) -> bool:
        return self.status == 0 or self.status >= 500

    @property
    def never_sent(self) -> bool:
        """The API cannot have acted on it: only then may a customer hear "nothing was charged"."""
        return self.status == 0 and not self.sent

    @property
    def declined(self) -> bool:
        return self.status == 402 or self.code == "card_declined"


def _flatten(params: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Stripe's form encoding: metadata[order]=12, expand[]=latest_charge."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else key
        if value is None:
            continue
        if isinstance(value, dict):
            pairs.extend(_flatten(value, name))
        elif isinstance(value, list | tuple):
            pairs.extend((f"{name}[]", str(v)) for v in value)
        elif isinstance(value, bool):
            pairs.append((name, "true" if value else "false"))
        else:
            pairs.append((name, str(value)))
    return pairs


class StripeClient:
    def __init__(self, base: str, secret_key: str, *, timeout: float = 10.0, transport=None) -> None:
        self.base = base.rstrip("/")
        self.secret_key = secret_key
        self.timeout = timeout
        self.transport = transport

    @classmethod
    def from_config(cls) -> StripeClient:
        config = current_app.config
        return cls(config["STRIPE_API_BASE"], config["STRIPE_SECRET_KEY"], timeout=config["STRIPE_TIMEOUT"])

    def request(self, method: str, path: str, params: dict[str, Any] | None = None, *, key: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.secret_key}", "Stripe-Version": "2024-06-20"}
        if key:
            # Stripe replays the first answer for a repeated key; localstripe ignores it, so the
            # database guards idempotency as well (one Payment per payable, one refund row per key).
            headers["Idempotency-Key"] = key
        pairs = _flatten(params or {})
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as http:
                if method == "GET":
                    response = http.get(self.base + path, params=pairs, headers=headers)
                else:
                    response = http.request(method, self.base + path, data=dict(pairs), headers=headers)
        except httpx.HTTPError as error:
            log.warning("stripe %s %s failed: %r", method, path, error)
            # Connecting failed: nothing left this process. Anything later (a read timeout, the
            # connection closed before the answer) may have reached the API and acted.
            sent = not isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)
            raise StripeError(f"payment server unreachable: {error!r}", sent=sent) from error
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400:
            error = body.get("error") or {}
            log.info("stripe %s %s -> %s %s", method, path, response.status_code, error)
            raise StripeError(
                error.get("message") or f"HTTP {response.status_code}",
                status=response.status_code,
                code=error.get("code"),
                body=body,
            )
        return body

    # The calls Gancang makes.
    def create_customer(self, *, user_id: int, key: str) -> dict:
        return self.request("POST", "/v1/customers", {"metadata": {"user_id": user_id}}, key=key)

    def attach_card(self, customer: str, token_or_method: str) -> str:
        """Save the card (a token from Stripe.js createToken, or a PaymentMethod) on the customer;
        returns the id a PaymentIntent can charge. The card issuer may decline here already."""
        key = f"attach-{customer}-{token_or_method}"
        if token_or_method.startswith("pm_"):
            path = f"/v1/payment_methods/{token_or_method}/attach"
            self.request("POST", path, {"customer": customer}, key=key)
            return token_or_method
        card = self.request("POST", f"/v1/customers/{customer}/sources", {"source": token_or_method}, key=key)
        return card["id"]

    def create_intent(self, *, amount: int, customer: str | None, metadata: dict, key: str) -> dict:
        params = {
            "amount": to_minor(amount),
            "currency": CURRENCY,
            "customer": customer,
            "payment_method_types": ["card"],
            "metadata": metadata,
        }
        return self.request("POST", "/v1/payment_intents", params, key=key)

    def retrieve_intent(self, intent_id: str) -> dict:
        return self.request("GET", f"/v1/payment_intents/{intent_id}")

    def update_intent(self, intent_id: str, **params: Any) -> dict:
        return self.request("POST", f"/v1/payment_intents/{intent_id}", params)

    def confirm_intent(self, intent_id: str, *, key: str | None = None) -> dict:
        return self.request("POST", f"/v1/payment_intents/{intent_id}/confirm", key=key)

    def cancel_intent(self, intent_id: str) -> dict:
        return self.request("POST", f"/v1/payment_intents/{intent_id}/cancel")

    def create_refund(self, *, intent_id: str, amount: int, metadata: dict, key: str) -> dict:
        params = {"payment_intent": intent_id, "amount": to_minor(amount), "metadata": metadata}
        return self.request("POST", "/v1/refunds", params, key=key)

    def list_refunds(self, intent_id: str) -> list[dict]:
        return self.request("GET", "/v1/refunds", {"payment_intent": intent_id, "limit": 100}).get("data", [])

    def retrieve_refund(self, refund_id: str) -> dict:
        return self.request("GET", f"/v1/refunds/{refund_id}")


def client() -> StripeClient:
    return StripeClient.from_config()


# Webhooks ----------------------------------------------------------------------------------


class SignatureError(Exception):
    pass


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header for `payload` (what Stripe sends; tests use it too)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(payload: bytes, header: str | None, secret: str, *, tolerance: int = 300, now: float | None = None) -> dict:
    """Check Stripe-Signature (HMAC-SHA256 of "t.payload", any v1 may match) and the timestamp
    tolerance (replays of old deliveries are refused); return the parsed event."""
    if not header:
        raise SignatureError("no Stripe-Signature header")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureError("malformed Stripe-Signature header")
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, sig) for sig in signatures):
        raise SignatureError("signature does not match")
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise SignatureError("timestamp outside the tolerance")
    try:
        event = json.loads(payload)
    except ValueError as error:
        raise SignatureError("payload is not JSON") from error
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise SignatureError("payload is not an event")
    return event


class MalformedEvent(ValueError):
    """Signed by Stripe's secret, but not the shape of an event we can store and apply."""


def _is_amount(value: Any) -> bool:
    """Minor units: an int, or its digits (localstripe sends some amounts as strings)."""
    if isinstance(value, str):
        return value.isascii() and value.isdigit() and len(value) <= 18
    return isinstance(value, int) and not isinstance(value, bool)


_OPTIONAL_FIELDS: dict[str, Callable[[Any], bool]] = {
    "id": lambda v: isinstance(v, str) and 0 < len(v) <= 255,
    "status": lambda v: isinstance(v, str),
    "amount": _is_amount,
    "amount_refunded": _is_amount,
    "payment_intent": lambda v: v is None or (isinstance(v, str) and len(v) <= 255),
    "last_payment_error": lambda v: v is None or isinstance(v, dict),
    "client_secret": lambda v: v is None or isinstance(v, str),
}


def check_event(event: dict) -> dict:
    """The shape `handle_event` relies on, checked before anything is stored: a signed event
    whose `type` is a list or whose `data.object` is a string gave a 500 (and could be stored
    half-read). Extra fields are Stripe's business; the ones we read must be what we read."""
    event_id, event_type = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 255:
        raise MalformedEvent("id is not a string of at most 255 characters")
    if not isinstance(event_type, str) or not 0 < len(event_type) <= 80:
        raise MalformedEvent("type is not a string of at most 80 characters")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise MalformedEvent("data.object is not an object")
    for name, ok in _OPTIONAL_FIELDS.items():
        if name in data["object"] and not ok(data["object"][name]):
            raise MalformedEvent(f"data.object.{name} has the wrong type")
    return event
