"""Providers by name, tried in COURIER_PROVIDERS order; the local fleet always closes the chain."""

from __future__ import annotations

from flask import current_app

from portal.couriers.contract import Courier
from portal.couriers.providers.gosend import GoSend
from portal.couriers.providers.local import LocalFleet

LOCAL = "local"


def _build(name: str) -> Courier:
    """One instance per app and settings, so HTTP clients (and their connection pools) are reused."""
    config = current_app.config
    cache: dict = current_app.extensions.setdefault("couriers", {})
    if name == LOCAL:
        key: tuple = (LOCAL,)
        factory = LocalFleet
    elif name == "gosend":
        key = ("gosend", *(config.get(k) for k in GOSEND_SETTINGS))

        def factory():
            return GoSend.from_config(config)
    else:
        raise KeyError(name)
    if key not in cache:
        cache[key] = factory()
    return cache[key]


def names() -> list[str]:
    configured = [name for name in current_app.config["COURIER_PROVIDERS"] if name in KNOWN]
    return [*dict.fromkeys(configured), *([] if LOCAL in configured else [LOCAL])]


def chain() -> list[Courier]:
    return [_build(name) for name in names()]


def get(name: str) -> Courier | None:
    """Any known provider, configured or not (webhooks for bookings made before a config change)."""
    return _build(name) if name in KNOWN else None


KNOWN = ("gosend", LOCAL)
GOSEND_SETTINGS = (
    "GOSEND_BASE_URL",
    "GOSEND_CLIENT_ID",
    "GOSEND_PASS_KEY",
    "GOSEND_CALLBACK_TOKEN",
    "GOSEND_TIMEOUT",
    "COURIER_QUOTE_TTL",
)
