"""Exactly the two providers' webhooks skip the CSRF check: they authenticate by signature or
token. A view added to the exempt list (say one that reads `request.form` itself) fails here,
and the CSRF walk in test_probe.py finds it answering a POST without a token."""

from __future__ import annotations

from portal.extensions import csrf
from tests.security.probe import WEBHOOKS


def test_exactly_the_two_webhooks_are_exempt_from_csrf(app):
    exempt = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if f"{view.__module__}.{view.__name__}" in csrf._exempt_views
    }
    assert exempt == WEBHOOKS
    assert len(csrf._exempt_views) == len(WEBHOOKS)  # nothing exempt outside a route either
    assert not csrf._exempt_blueprints
