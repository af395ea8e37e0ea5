"""Providers by name, tried in COURIER_PROVIDERS order; the local fleet always closes the chain."""

from __future__ import annotations

from flask import current_app

from portal.couriers.contract import Courier

LOCAL = "local"


def _build(name: str) -> Courier:
    if name == LOCAL:
        from portal.couriers.providers.local import LocalFleet

        return LocalFleet()
    if name == "gosend":
        from portal.couriers.providers.gosend import GoSend

        return GoSend.from_config(current_app.config)
    raise KeyError(name)


def names() -> list[str]:
    configured = [name for name in current_app.config["COURIER_PROVIDERS"] if name in KNOWN]
    return [*dict.fromkeys(configured), *([] if LOCAL in configured else [LOCAL])]


def chain() -> list[Courier]:
    return [_build(name) for name in names()]


def get(name: str) -> Courier | None:
    """Any known provider, configured or not (webhooks for bookings made before a config change)."""
    return _build(name) if name in KNOWN else None


KNOWN = ("gosend", LOCAL)
