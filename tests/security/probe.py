"""The standing probe's machinery: a seeded app, its identities, every URL rule with sample
arguments, and counters the terminal summary prints (routes walked, identities, requests, 5xx).

Routes come from `app.url_map`, never from a hand list, so a route is probed the day it is added.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask import Flask, url_for
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from portal.accounts.demo import DEMO_PASSWORD
from portal.accounts.models import Role
from portal.cli import seed_all
from portal.extensions import db
from tests.core.test_access import PUBLIC as ACCESS_PUBLIC
from tests.factories import DEMO_PASSWORD as FACTORY_PASSWORD
from tests.factories import UserFactory
from tests.food.factories import WarungFactory

# Endpoints anyone may open: one list, kept with the core access walk (tests/core/test_access.py).
PUBLIC = ACCESS_PUBLIC
WEBHOOKS = {"payments.stripe_webhook", "couriers.webhook"}
# Object routes that a signed-in user may call with any id, and why.
ANY_ID = {
    "food.cart_quantity": "the id names a public dish; the cart line changed is the caller's own",
    "promotions.join_festival": "the id names a public festival; the entry made is the caller's own warung's",
}
# Demo accounts (portal/*/demo.py) by the role they show; "stranger" owns nothing at all.
IDENTITIES = {
    "admin": "admin@example.com",
    "owner": "owner@example.com",
    "driver": "driver@example.com",
    "other_driver": "driver2@example.com",
    "clerk": "clerk@example.com",
    "pharmacist": "pharmacist@example.com",
    "promoter": "promoter@example.com",
    "customer": "tourist@example.com",
    "stranger": "stranger@example.com",
    "other_owner": "other-owner@example.com",
}
MADE_HERE = {"stranger", "other_owner"}  # made by the factories, with their password
SAMPLE_IDS = (1, 2)


@dataclass
class Counts:
    routes: set[str] = field(default_factory=set)
    identities: set[str] = field(default_factory=set)
    requests: int = 0
    server_errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"security probe: {len(self.routes)} routes walked, {len(self.identities)} identities, "
            f"{self.requests} requests, {len(self.server_errors)} 5xx found"
        )


COUNTS = Counts()


class ErrorLog(logging.Handler):
    """Keeps what the app's 500 handler logs, so a 5xx is reported with its exception."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


def seeded(app: Flask) -> None:
    with app.test_request_context("/"):
        seed_all()
        UserFactory(email=IDENTITIES["stranger"], name="Stranger", locale="en")
        # An owner with a warung of their own: none of the demo warung's dishes or orders.
        WarungFactory(owner=UserFactory(email=IDENTITIES["other_owner"], roles=[Role.OWNER], locale="en"))
        db.session.commit()


def rules(app: Flask) -> list[Rule]:
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


def methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def int_args(rule: Rule) -> list[str]:
    return [arg for arg in rule.arguments if getattr(rule._converters[arg], "num_convert", None) is int]


def urls(app: Flask, rule: Rule, ids: tuple[int, ...] = SAMPLE_IDS) -> Iterator[str]:
    """The rule filled in: each sample id for its int arguments, "x" for any other."""
    ids = ids if int_args(rule) else (None,)
    for sample in ids:
        values = {arg: (sample if arg in int_args(rule) else "x") for arg in rule.arguments}
        if rule.endpoint == "static":
            values["filename"] = "css/app.css"
        with app.test_request_context():
            yield url_for(rule.endpoint, **values)


def required_roles(app: Flask, rule: Rule) -> set[str]:
    return {str(role) for role in getattr(app.view_functions[rule.endpoint], "required_roles", ())}


class Prober:
    """One client per identity, signed in with the demo password; every request counted."""

    def __init__(self, app: Flask, name: str) -> None:
        self.app, self.name = app, name
        self.client: FlaskClient = app.test_client()
        COUNTS.identities.add(name)
        self.token = self._token("/login")  # this session's CSRF token: valid for every form
        if name != "anonymous":
            self.login()

    def _token(self, path: str) -> str:
        match = TOKEN.search(self.client.get(path).get_data(as_text=True))
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self) -> None:
        password = FACTORY_PASSWORD if self.name in MADE_HERE else DEMO_PASSWORD
        data = {"email": IDENTITIES[self.name], "password": password, "csrf_token": self.token}
        self.client.post("/login", data=data)
        assert self.client.get("/account").status_code == 200, f"{self.name} could not log in"

    def open(self, url: str, method: str, rule: Rule | None = None, *, csrf: bool = True, data=None, **kwargs):
        """A request as a browser makes it: a POST carries the session's CSRF token, unless `csrf=False`."""
        COUNTS.requests += 1
        if rule is not None:
            COUNTS.routes.add(f"{method} {rule.rule}")
        if method == "POST" and csrf:
            data = {**(data or {}), "csrf_token": self.token}
        response = self.client.open(url, method=method, data=data, **kwargs)
        if response.status_code >= 500:
            COUNTS.server_errors.append(f"{self.name} {method} {url} -> {response.status}")
        return response


TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
NAME = re.compile(r'<(?:input|select|textarea|button)\b[^>]*\bname="([^"]+)"')


def field_names(html: str) -> set[str]:
    return set(NAME.findall(html))
