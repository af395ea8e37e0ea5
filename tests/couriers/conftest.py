from __future__ import annotations

import pytest

from tests.couriers.factories import make_driver
from tests.couriers.gosend_server import CALLBACK_TOKEN, CLIENT_ID, PASS_KEY, FakeGoSend


@pytest.fixture(autouse=True)
def _request_context(app):
    """Services raise translated messages; rendering one needs a locale, which needs a request."""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


@pytest.fixture
def customer(customer, db):
    """The shared customer, reading Indonesian: couriers' tests check what a customer is told in
    the default language (test_workspace.py reads English)."""
    customer.locale = "id"
    db.session.commit()
    return customer


@pytest.fixture
def driver(db):
    """A verified, online driver who reads the workspace in English."""
    user = make_driver()
    user.locale = "en"
    db.session.commit()
    return user


@pytest.fixture(scope="session")
def gosend_server():
    with FakeGoSend() as server:
        yield server


@pytest.fixture
def gosend(app, gosend_server):
    """GoSend first, the local fleet as fallback, against the loopback server (reset per test)."""
    server = gosend_server
    server.bookings.clear()
    server.by_store_order.clear()
    server.faults.clear()
    server.calls.clear()
    server.serviceable, server.refuse_bookings, server.slow_seconds = True, False, 2.0
    app.config.update(
        COURIER_PROVIDERS=["gosend", "local"],
        GOSEND_BASE_URL=server.url,
        GOSEND_CLIENT_ID=CLIENT_ID,
        GOSEND_PASS_KEY=PASS_KEY,
        GOSEND_CALLBACK_TOKEN=CALLBACK_TOKEN,
        GOSEND_TIMEOUT=1.0,  # generous: a loaded CI machine must not turn normal answers into timeouts
    )
    return server
