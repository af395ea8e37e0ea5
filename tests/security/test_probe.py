"""The standing probe: what an outside attacker tried, kept in the suite, over every URL rule.

1. access: anonymous → login; a role the rule does not name → 403; someone else's object → 403/404
2. CSRF: every POST without a token → 400, except the two webhooks (and exactly those are exempt)
3. status line and no 5xx for every GET each identity can reach
4. a Hypothesis fuzz of every POST with hostile values: no 5xx, no markup echoed unescaped

Requests are made as a browser makes them, the session's CSRF token included (except in the CSRF walk).
"""

from __future__ import annotations

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.probe import (
    ANY_ID,
    COUNTS,
    IDENTITIES,
    PUBLIC,
    WEBHOOKS,
    Prober,
    field_names,
    int_args,
    methods,
    required_roles,
    rules,
    urls,
)

ROLE_OF = {"admin": "admin", "owner": "owner", "driver": "driver", "other_driver": "driver", "clerk": "clerk"}
ROLE_OF |= {"pharmacist": "pharmacist", "other_owner": "owner", "promoter": "promoter"}
SEEN_NAMES: set[str] = set()
# An open job is every verified driver's to see and to take (a taken one answers with a message).
OPEN_TO_EVERY_DRIVER = {
    "couriers.job",
    "couriers.accept",
}  # every form field name the GET walk met, fuzzed in the POST walk


def _no_server_errors(app: Flask) -> None:
    found = list(COUNTS.server_errors)
    details = "\n".join(app.extensions["probe_errors"].records[-3:])
    assert not found, f"{len(found)} answers were 5xx:\n" + "\n".join(found[:20]) + "\n" + details


def test_anonymous_users_are_sent_to_log_in(probed_app):
    anonymous = Prober(probed_app, "anonymous")
    for rule in rules(probed_app):
        for method in methods(rule):
            for url in urls(probed_app, rule):
                response = anonymous.open(url, method, rule)
                if rule.endpoint in PUBLIC:
                    continue
                assert response.status_code == 302, f"{method} {url} answered {response.status}"
                assert "/login" in response.headers["Location"], f"{method} {url} → {response.headers['Location']}"
    _no_server_errors(probed_app)


def test_a_role_a_rule_does_not_name_is_refused(probed_app):
    for name, role in {**ROLE_OF, "customer": None}.items():
        prober = Prober(probed_app, name)
        for rule in rules(probed_app):
            needed = required_roles(probed_app, rule)
            if not needed or role in needed:
                continue
            for method in methods(rule):
                for url in urls(probed_app, rule):
                    response = prober.open(url, method, rule)
                    assert response.status_code == 403, f"{name} {method} {url} answered {response.status}"
    _no_server_errors(probed_app)


@pytest.mark.parametrize("name", ["stranger", "other_driver", "other_owner"])
def test_someone_elses_object_is_not_found(probed_app, name):
    """Every object the demo data made belongs to someone else: the stranger owns nothing, the
    second driver none of the first driver's jobs and rides, the second owner none of the demo
    warung's dishes and orders."""
    prober = Prober(probed_app, name)
    role = ROLE_OF.get(name)
    for rule in rules(probed_app):
        needed = required_roles(probed_app, rule)
        if not int_args(rule) or rule.endpoint in PUBLIC | set(ANY_ID) or (needed and role not in needed):
            continue
        if name != "stranger" and not needed:
            continue  # a customer's objects: the stranger's walk
        for method in methods(rule):
            for url in urls(probed_app, rule):
                response = prober.open(url, method, rule)
                if name == "other_driver" and rule.endpoint in OPEN_TO_EVERY_DRIVER:
                    assert response.status_code in (200, 302, 403, 404)  # an open job is every driver's
                    continue
                assert response.status_code in (403, 404), f"{name} {method} {url} answered {response.status}"
    _no_server_errors(probed_app)


def test_every_post_without_a_csrf_token_is_refused(probed_app):
    assert probed_app.config.get("WTF_CSRF_ENABLED", True)
    for name in ("anonymous", "customer"):
        prober = Prober(probed_app, name)
        for rule in rules(probed_app):
            if "POST" not in methods(rule) or rule.endpoint in WEBHOOKS:
                continue
            for url in urls(probed_app, rule):
                response = prober.open(url, "POST", rule, data={"x": "1"}, csrf=False)
                assert response.status_code == 400, f"{name} POST {url} without a token: {response.status}"
    _no_server_errors(probed_app)


def test_every_get_each_identity_reaches_answers_a_real_status_line(probed_app):
    """The test client checks each status line (tests/conftest.py); here every GET is made by
    every identity, the pages that open collecting the form fields the fuzz below fills."""
    for name in ("anonymous", *IDENTITIES):
        prober = Prober(probed_app, name)
        for rule in rules(probed_app):
            if "GET" not in methods(rule) or rule.endpoint in ("accounts.logout", "static"):
                continue
            for url in urls(probed_app, rule, ids=(1,)):
                response = prober.open(url, "GET", rule)
                if response.status_code == 200 and response.mimetype == "text/html":
                    SEEN_NAMES.update(field_names(response.get_data(as_text=True)))
    _no_server_errors(probed_app)


QUERY_NAMES = ("page", "q", "status", "date", "night", "before", "departure", "place", "next", "type", "lat", "lng")


def test_hostile_query_strings_on_every_get_give_no_5xx(probed_app):
    """Lists page, search and filter by the query string: `?page=99999999999999999999` reached the
    driver as an OFFSET it cannot hold. Every GET, each hostile value in every usual name."""
    values = [v for v in HOSTILE_VALUES if "\x00" not in v and len(v) < 100]
    for name in ("anonymous", "customer", "owner", "driver", "admin"):
        prober = Prober(probed_app, name)
        for index, rule in enumerate(r for r in rules(probed_app) if "GET" in methods(r)):
            if rule.endpoint in ("accounts.logout", "static"):
                continue
            for hostile in (values[0], values[index % len(values)]):  # always the huge number, then another
                for url in urls(probed_app, rule, ids=(1,)):
                    response = prober.open(url, "GET", rule, query_string=dict.fromkeys(QUERY_NAMES, hostile))
                    assert response.status_code < 500, f"{name} GET {url} with {hostile!r}: {response.status}"
    _no_server_errors(probed_app)


MARKUP = ('<script>alert("gancang")</script>', '"><img src=x onerror=alert(1)>')
HOSTILE_VALUES = [
    "99999999999999999999",
    "-99999999999999999999",
    "2147483648",
    "-1",
    "0",
    "1e309",
    "NaN",
    "1.5",
    "\x00",
    "a\x00b",
    "ÿ\u202e\u0000😀",
    "\ud7ff\uffff",
    " ",
    "A" * 5000,
    "' OR '1'='1",
    "%s%n{0}{{7*7}}",
    "2026-02-30",
    "../../etc/passwd",
    *MARKUP,
]
HOSTILE = st.one_of(st.sampled_from(HOSTILE_VALUES), st.text(max_size=40))
NEVER_POSTED = {"accounts.logout"}  # ends the prober's own session; harmless, and walked above


def _prober_for(app: Flask, rule, probers: dict[str, Prober]) -> Prober:
    needed = required_roles(app, rule)
    name = next((n for n, role in ROLE_OF.items() if role in needed), None) if needed else "customer"
    if rule.endpoint in PUBLIC:
        name = "anonymous"
    if name not in probers:
        probers[name] = Prober(app, name)
    return probers[name]


def test_hostile_values_in_every_form_give_no_5xx_and_no_echoed_markup(probed_app):
    if not SEEN_NAMES:  # run alone: collect the field names first
        test_every_get_each_identity_reaches_answers_a_real_status_line(probed_app)
    names = sorted(SEEN_NAMES - {"csrf_token"})
    assert len(names) > 20, names
    posts = [r for r in rules(probed_app) if "POST" in methods(r) and r.endpoint not in NEVER_POSTED | WEBHOOKS]
    probers: dict[str, Prober] = {}
    for rule in posts:
        _fuzz(_prober_for(probed_app, rule, probers), next(urls(probed_app, rule)), rule, names)()
    _no_server_errors(probed_app)


def _fuzz(prober: Prober, url: str, rule, names: list[str]):
    @settings(max_examples=6, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(st.dictionaries(st.sampled_from(names), HOSTILE, min_size=1, max_size=12))
    def post(data):
        response = prober.open(url, "POST", rule, data=data)
        assert response.status_code < 500, f"POST {url} {data!r}: {response.status}"
        if response.mimetype == "text/html":
            body = response.get_data(as_text=True)
            for markup in MARKUP:
                assert markup not in data.values() or markup not in body, f"POST {url} echoed {markup!r} unescaped"

    return post
