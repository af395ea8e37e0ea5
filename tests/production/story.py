"""What people do, over HTTP, through the load balancer: the steps the production tests chain."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import httpx

from tests.production.conftest import TOKEN, csrf

HOMESTAY = {"address": "Osing Kemiren Homestay, Kemiren", "latitude": "-8.2127", "longitude": "114.3204"}
__all__ = ["TOKEN"]
PIN = re.compile(r'class="pin-code">(\d+)<')


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
    assert match, f"no {name} field on the page"
    return match.group(1)


def add_to_cart(client: httpx.Client, warung_slug: str, dish_id: int, quantity: int = 1) -> None:
    token = csrf(client, f"/warungs/{warung_slug}")
    answer = client.post("/cart/items", data={"csrf_token": token, "dish_id": dish_id, "quantity": quantity})
    assert answer.status_code in (302, 303), (answer.status_code, answer.text[:300])


def review_checkout(client: httpx.Client, warung_id: int, method: str) -> dict[str, str]:
    """The first press of "Checkout": the priced total and the order's key, as the form carries them."""
    form = {"csrf_token": csrf(client, "/cart"), "warung_id": str(warung_id), "payment_method": method, **HOMESTAY}
    review = client.post("/checkout", data=form)
    assert review.status_code == 200, (review.status_code, review.text[:500])
    return {**form, "expected_total": hidden(review.text, "expected_total"), "token": hidden(review.text, "token")}


def place(client: httpx.Client, form: dict[str, str]) -> httpx.Response:
    """The second press: the order is made (a redirect to pay, or to the order)."""
    return client.post("/checkout", data=form)


def card_token(stripe_base: str, publishable_key: str) -> str:
    answer = httpx.post(
        f"{stripe_base}/v1/tokens",
        data={
            "card[number]": "4242424242424242",
            "card[exp_month]": "12",
            "card[exp_year]": "2031",
            "card[cvc]": "123",
            "key": publishable_key,
        },
    )
    answer.raise_for_status()
    return answer.json()["id"]


def pay_by_card(client: httpx.Client, pay_path: str, token: str) -> dict:
    """What static/js/payments.js does with the Stripe.js token."""
    csrf_token = csrf(client, pay_path)
    confirm = pay_path.removesuffix("/pay") + "/confirm"
    answer = client.post(
        confirm, data={"token": token}, headers={"X-CSRFToken": csrf_token, "Accept": "application/json"}
    )
    assert answer.status_code == 200, (answer.status_code, answer.text[:300])
    return answer.json()


def press(client: httpx.Client, page: str, action: str, **data: str) -> httpx.Response:
    """A button on `page` that POSTs to `action` (a form with just the CSRF token, or a few fields)."""
    return client.post(action, data={"csrf_token": csrf(client, page), **data})


def wait_for(check: Callable[[], object], *, timeout: float = 30, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or check}")
        time.sleep(0.2)
