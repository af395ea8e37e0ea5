from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _request_context(app):
    """Services raise translated messages; rendering one needs a locale, which needs a request."""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield
