"""The signed session cookie: a forged one is refused, an old one expires, a new key ends it."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from tests.conftest import AuthActions
from tests.factories import UserFactory


def _signed_in_cookie(app, db) -> tuple:
    user = UserFactory()
    db.session.commit()
    client = app.test_client()
    AuthActions(client).login(user)
    client.get("/account")  # uses up the welcome message: the cookie changes once more
    cookie = client.get_cookie("session").value
    assert client.get("/account").status_code == 200
    assert client.get_cookie("session").value == cookie
    return client, cookie


def test_a_forged_cookie_is_not_taken_for_a_remembered_one(app, db):
    client, cookie = _signed_in_cookie(app, db)
    payload, _, signature = cookie.rpartition(".")
    forged = f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    client.set_cookie("session", forged)
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    client.set_cookie("session", cookie)
    assert client.get("/account").status_code == 200


@pytest.mark.parametrize("app", [{"PERMANENT_SESSION_LIFETIME": timedelta(minutes=10)}], indirect=True)
def test_a_remembered_cookie_still_expires(app, db, monkeypatch):
    client, _cookie = _signed_in_cookie(app, db)
    later = time.time() + 11 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_new_secret_key_forgets_what_was_verified(app, db):
    client, _cookie = _signed_in_cookie(app, db)
    app.secret_key = "another-secret-key"
    try:
        response = client.get("/account")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    finally:
        app.secret_key = app.config["SECRET_KEY"]
