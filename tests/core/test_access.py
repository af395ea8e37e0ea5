"""Walk every URL: anonymous users are sent to log in, wrong roles get 403.

A new route is protected unless it is listed in PUBLIC here, so forgetting a decorator fails
this test instead of leaking a page.
"""

from __future__ import annotations

from flask import Flask, url_for

from portal.accounts.models import Role
from tests.factories import UserFactory

# Endpoints anyone may open. Webhooks authenticate by signature, the medicine link by its token.
PUBLIC = {
    "static",
    "main.index",
    "main.healthz",
    "main.readyz",
    "main.figures",  # aggregated figures, no personal data
    "accounts.login",
    "accounts.register_view",
    "accounts.logout",
    "accounts.language",
    "accounts.forgot_password",
    "accounts.reset_password",
    "food.warungs",
    "food.warung",
    "food.photo",
    "rides.packages",
    "rides.package",
    "medicine.track",
    "medicine.courier_photo",
    "medicine.pay",
    "medicine.pay_confirm",
    "medicine.pay_cash",  # the link's holder pays the courier in cash instead
    "medicine.about",
    "payments.stripe_webhook",
    "couriers.webhook",
    "payments.stripe_js_config",
    "promotions.festival_page",
    "promotions.collection_page",  # between its dates; the office previews it otherwise
}


def _sample_url(app: Flask, rule) -> str:
    values = {}
    for arg in rule.arguments:
        converter = rule._converters[arg]
        values[arg] = 1 if getattr(converter, "num_convert", None) is int else "x"
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def _rules(app: Flask):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_private_url_sends_anonymous_users_to_login(app, client):
    app.config["WTF_CSRF_ENABLED"] = False  # so POSTs reach the login check, not the CSRF check
    checked = 0
    for rule, method in _rules(app):
        url = _sample_url(app, rule)
        response = client.open(url, method=method)
        assert response.status_code == 302, f"{method} {url} answered {response.status_code}"
        assert "/login" in response.headers["Location"], f"{method} {url} -> {response.headers['Location']}"
        checked += 1
    assert checked >= 5


def test_every_role_url_refuses_other_roles(app, client, auth, db):
    app.config["WTF_CSRF_ENABLED"] = False
    role_views = [
        (rule, method, set(app.view_functions[rule.endpoint].required_roles))
        for rule, method in _rules(app)
        if hasattr(app.view_functions[rule.endpoint], "required_roles")
    ]
    assert role_views, "no role-protected views found"
    users = {}
    for role in Role:
        users[role] = UserFactory(roles=[role])
    db.session.commit()
    for role, user in users.items():
        auth.login(user)
        for rule, method, required in role_views:
            if role in required:
                continue
            url = _sample_url(app, rule)
            response = client.open(url, method=method)
            assert response.status_code == 403, f"{role} {method} {url} answered {response.status_code}"
        auth.logout()
