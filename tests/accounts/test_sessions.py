"""Each login is a server-side session: logging out, a password change, "sign out" on /account
and an admin's "sign out everywhere" end it, whatever copies of the cookies are still around."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.accounts.models import Role, UserSession, device_name
from portal.database import utcnow
from portal.formatting import to_wib
from tests.accounts.test_auth import password_change
from tests.conftest import AuthActions
from tests.factories import DEMO_PASSWORD, UserFactory

ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1"
)
WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


def device(app, user_agent: str) -> tuple[FlaskClient, AuthActions]:
    """A browser of its own: its own cookies, and this user agent on every request."""
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    return client, AuthActions(client)


def signed_out(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def session_of(db, user, user_agent: str) -> UserSession:
    return db.session.scalar(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.user_agent == user_agent)
    )


def test_a_cookie_saved_before_logout_no_longer_opens_the_account(client, auth, user):
    auth.login(user, remember=True)
    saved = {name: client.get_cookie(name).value for name in ("session", "remember_token")}
    auth.logout()
    for name, value in saved.items():
        client.set_cookie(name, value)
    assert signed_out(client.get("/account"))
    client.delete_cookie("session")  # the remember-me cookie alone opens nothing either
    client.set_cookie("remember_token", saved["remember_token"])
    assert signed_out(client.get("/account"))


def test_a_password_change_ends_the_other_sessions(app, db, user):
    phone, on_phone = device(app, ANDROID)
    laptop, on_laptop = device(app, WINDOWS)
    on_phone.login(user)
    on_laptop.login(user)
    assert laptop.get("/account").status_code == 200

    assert on_phone.post("/account", password_change(DEMO_PASSWORD), page="/account").status_code == 302
    assert signed_out(laptop.get("/account"))
    phone.set_cookie("lang", "en")
    page = phone.get("/account").get_data(as_text=True)
    assert "Chrome on Android" in page and "Firefox on Windows" not in page
    assert session_of(db, user, WINDOWS).revoked_at is not None


def test_the_account_lists_the_devices_in_both_languages(app, db, user):
    phone, on_phone = device(app, ANDROID)
    _iphone, on_iphone = device(app, IPHONE)
    on_phone.login(user)
    on_iphone.login(user)
    seen = utcnow().replace(microsecond=0) - timedelta(hours=3)
    session_of(db, user, IPHONE).last_seen_at = seen
    db.session.commit()

    page = phone.get("/account").get_data(as_text=True)  # Indonesian, the default
    assert "Chrome di Android" in page and "Perangkat ini" in page
    assert "Safari di iPhone" in page and f"{to_wib(seen):%H.%M} WIB" in page
    assert "Keluar dari semua perangkat lain" in page
    phone.set_cookie("lang", "en")
    page = phone.get("/account").get_data(as_text=True)
    assert "Chrome on Android" in page and "This device" in page and "Safari on iPhone" in page
    assert "Sign out everywhere else" in page and "Sign out Safari on iPhone?" in page  # asks first


def test_signing_out_one_device_leaves_the_others(app, db, user):
    phone, on_phone = device(app, ANDROID)
    laptop, on_laptop = device(app, WINDOWS)
    tablet, on_tablet = device(app, IPHONE)
    for auth in (on_phone, on_laptop, on_tablet):
        auth.login(user)
    laptop_session = session_of(db, user, WINDOWS).id

    response = on_phone.post(f"/account/sessions/{laptop_session}/end", page="/account")
    assert response.status_code == 302
    assert signed_out(laptop.get("/account"))
    assert phone.get("/account").status_code == 200 and tablet.get("/account").status_code == 200


def test_sign_out_everywhere_else_keeps_only_this_device(app, db, user):
    phone, on_phone = device(app, ANDROID)
    laptop, on_laptop = device(app, WINDOWS)
    tablet, on_tablet = device(app, IPHONE)
    for auth in (on_phone, on_laptop, on_tablet):
        auth.login(user)

    assert on_phone.post("/account/sessions/end-others", page="/account").status_code == 302
    assert signed_out(laptop.get("/account")) and signed_out(tablet.get("/account"))
    phone.set_cookie("lang", "en")
    page = phone.get("/account").get_data(as_text=True)
    assert "Chrome on Android" in page and "Safari on iPhone" not in page
    assert "Sign out everywhere else" not in page  # nothing else to end


def test_another_users_session_cannot_be_ended(app, db, user):
    someone = UserFactory()
    db.session.commit()
    theirs, on_theirs = device(app, IPHONE)
    on_theirs.login(someone)
    _mine, on_mine = device(app, ANDROID)
    on_mine.login(user)
    their_session = session_of(db, someone, IPHONE).id

    assert on_mine.post(f"/account/sessions/{their_session}/end", page="/account").status_code == 404
    assert on_mine.post(f"/account/sessions/{'0' * 64}/end", page="/account").status_code == 404
    assert theirs.get("/account").status_code == 200
    assert session_of(db, someone, IPHONE).revoked_at is None


def test_an_admin_signs_a_user_out_everywhere(app, db, user, admin):
    phone, on_phone = device(app, ANDROID)
    laptop, on_laptop = device(app, WINDOWS)
    on_phone.login(user)
    on_laptop.login(user)
    assert on_laptop.post(f"/admin/users/{admin.id}/sessions/end").status_code == 403  # not an admin

    office, at_office = device(app, WINDOWS)
    at_office.login(admin)
    page = office.get("/admin/users").get_data(as_text=True)
    assert f"Sign {user.name} out on every device?" in page
    assert at_office.post(f"/admin/users/{user.id}/sessions/end", page="/admin/users").status_code == 302
    assert signed_out(phone.get("/account")) and signed_out(laptop.get("/account"))
    assert office.get("/admin/users").status_code == 200


def test_last_seen_is_written_at_most_once_a_minute(client, auth, db, user):
    auth.login(user)
    row = session_of(db, user, client.environ_base["HTTP_USER_AGENT"])
    at_login = row.last_seen_at
    client.get("/account")
    db.session.expire_all()
    assert row.last_seen_at == at_login  # seen seconds ago: not written again

    row.last_seen_at = at_login - timedelta(minutes=2)
    db.session.commit()
    client.get("/account")
    db.session.expire_all()
    assert row.last_seen_at >= at_login


def test_a_session_idle_for_longer_than_remember_me_lasts_is_over(client, auth, db, user):
    auth.login(user, remember=True)
    row = session_of(db, user, client.environ_base["HTTP_USER_AGENT"])
    row.last_seen_at = utcnow() - timedelta(days=31)
    db.session.commit()
    assert signed_out(client.get("/account"))


@pytest.mark.parametrize(
    ("user_agent", "name"),
    [
        (ANDROID, "Chrome on Android"),
        (IPHONE, "Safari on iPhone"),
        (WINDOWS, "Firefox on Windows"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
            "Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A536E) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
            "Samsung Internet on Android",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/18.1 Safari/605.1.15",
            "Safari on macOS",
        ),
        ("curl/8.5.0", "Unknown device"),
        ("", "Unknown device"),
    ],
)
def test_a_user_agent_becomes_a_device_name(app, user_agent, name):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert device_name(user_agent) == name


def test_the_admin_role_is_kept_while_signing_out(app, db, admin):
    """Signing out ends the session, never the account or its roles."""
    client, auth = device(app, ANDROID)
    auth.login(admin)
    auth.logout()
    db.session.expire_all()
    assert admin.has_role(Role.ADMIN)
    assert auth.login(admin).status_code == 302 and client.get("/admin").status_code == 200


def test_the_account_page_lists_the_sessions_once_and_keeps_its_title(client, auth, user):
    auth.login(user)
    client.set_cookie("lang", "en")
    page = client.get("/account").get_data(as_text=True)
    assert "<title>My account · Gancang</title>" in page
    assert page.count('id="sessions"') == 1
