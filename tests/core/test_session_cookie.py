"""portal.security.SessionInterface remembers cookies it has verified: a remembered cookie must
still expire, a forged one must never be taken for it, and requests never share session data."""

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
    assert client.get("/account").status_code == 200  # this cookie is verified once, remembered
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


def test_each_request_gets_its_own_copy_of_the_session(app):
    interface = app.session_interface
    cookie = interface.get_signing_serializer(app).dumps({"_user_id": "mine", "_flashes": [("info", "hi")]})
    with app.test_request_context(headers={"Cookie": f"session={cookie}"}) as ctx:
        first = interface.open_session(app, ctx.request)
        first["_user_id"] = "someone-else"
        first["_flashes"].append(("info", "only mine"))
        second = interface.open_session(app, ctx.request)  # from the remembered cookie
    assert second["_user_id"] == "mine"
    assert second["_flashes"] == [("info", "hi")]


def test_a_new_secret_key_forgets_what_was_verified(app, db):
    client, _cookie = _signed_in_cookie(app, db)
    app.secret_key = "another-secret-key"
    try:
        response = client.get("/account")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    finally:
        app.secret_key = app.config["SECRET_KEY"]
