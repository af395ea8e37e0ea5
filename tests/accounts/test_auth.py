from __future__ import annotations

from sqlalchemy import select

from portal.accounts.models import User
from tests.conftest import AuthActions, make_app
from tests.factories import DEMO_PASSWORD, UserFactory


def register(auth, **fields):
    data = {
        "name": "Siti Aminah",
        "email": "siti@example.com",
        "phone": "0812-3456-7890",
        "password": "rahasia-sekali",
        "password_confirm": "rahasia-sekali",
    }
    data.update(fields)
    return auth.post("/register", data, page="/register")


def password_change(current: str, new: str = "a-new-long-password") -> dict:
    """The account page's change-password form, filled in (its fields carry the "password-" prefix)."""
    return {
        "password-current_password": current,
        "password-password": new,
        "password-password_confirm": new,
        "password-submit": "1",
    }


def test_register_stores_e164_phone_and_logs_in(client, auth, db):
    response = register(auth)
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "siti@example.com"))
    assert user.phone == "+6281234567890"
    assert user.password_hash.startswith("pbkdf2:") and "rahasia" not in user.password_hash
    page = client.get("/").get_data(as_text=True)
    assert "Keluar" in page  # logged in, Indonesian by default


def test_register_accepts_plus62(auth, db):
    register(auth, phone="+62 812 3456 7890", email="plus@example.com")
    assert db.session.scalar(select(User.phone).where(User.email == "plus@example.com")) == "+6281234567890"


def test_register_errors_keep_what_was_typed(auth, db):
    response = register(auth, phone="12345", password_confirm="something-else")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Masukkan nomor telepon Indonesia" in page
    assert "Kata sandi tidak sama" in page
    assert 'value="Siti Aminah"' in page and 'value="siti@example.com"' in page and 'value="12345"' in page
    assert db.session.scalar(select(User.id)) is None


def test_register_twice_with_same_email_is_refused(auth, db):
    UserFactory(email="taken@example.com")
    db.session.commit()
    response = register(auth, email="Taken@Example.com")
    assert response.status_code == 422
    assert "sudah ada" in response.get_data(as_text=True)


def test_login_logout(client, auth, user):
    response = auth.login(user)
    assert response.status_code == 302
    assert client.get("/my/activity").status_code == 200
    auth.logout()
    assert client.get("/my/activity").status_code == 302


def test_login_error_is_the_same_for_unknown_email_and_wrong_password(auth, user):
    wrong_password = auth.login(user, "nope-nope").get_data(as_text=True)
    unknown_email = auth.login("nobody@example.com", "nope-nope").get_data(as_text=True)
    message = "Email atau kata sandi tidak benar."
    assert message in wrong_password and message in unknown_email


def test_login_redirects_only_to_same_site_next(client, auth, user):
    token = auth.csrf_token("/login")
    data = {"email": user.email, "password": DEMO_PASSWORD, "csrf_token": token}
    for evil in ("https://evil.example/steal", "//evil.example", "/\\evil.example"):
        response = client.post("/login", data={**data, "next": evil})
        assert response.headers["Location"] == "/"
        auth.logout()
        data["csrf_token"] = auth.csrf_token("/login")
    auth.logout()
    response = client.post("/login", data={**data, "csrf_token": auth.csrf_token("/login"), "next": "/my/activity"})
    assert response.headers["Location"] == "/my/activity"


def test_remember_me_sets_a_long_lived_cookie(client, auth, user):
    response = auth.login(user, remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith("remember_token="))
    assert "HttpOnly" in remember and "SameSite=Lax" in remember and "Expires=" in remember


def test_session_cookie_is_httponly_and_lax(auth, user):
    cookies = auth.login(user).headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session and "SameSite=Lax" in session


def test_login_is_rate_limited(client, auth, user):
    token = auth.csrf_token("/login")
    statuses = [
        client.post("/login", data={"email": user.email, "password": "wrong", "csrf_token": token}).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429
    # Even the right password waits now: the limit is on attempts.
    blocked = client.post("/login", data={"email": user.email, "password": DEMO_PASSWORD, "csrf_token": token})
    assert blocked.status_code == 429
    assert "Terlalu banyak percobaan" in blocked.get_data(as_text=True)


def test_change_password_logs_out_other_devices(app, client, auth, user, db):

    other_device = app.test_client()
    AuthActions(other_device).login(user)
    auth.login(user)
    assert other_device.get("/my/activity").status_code == 200

    response = auth.post("/account", password_change(DEMO_PASSWORD), page="/account")
    assert response.status_code == 302
    assert client.get("/my/activity").status_code == 200  # this device stays in
    assert other_device.get("/my/activity").status_code == 302  # the other is out
    auth.logout()
    assert auth.login(user, "a-new-long-password").status_code == 302


def test_change_password_with_wrong_current_password(auth, user):
    auth.login(user)
    response = auth.post("/account", password_change("not-it"), page="/account")
    assert response.status_code == 422
    assert "Kata sandi Anda saat ini tidak benar." in response.get_data(as_text=True)


def test_profile_update_normalises_phone(auth, user, db):
    auth.login(user)
    auth.post(
        "/account",
        {"profile-name": "Nama Baru", "profile-phone": "081398765432", "profile-submit": "1"},
        page="/account",
    )
    db.session.refresh(user)
    assert (user.name, user.phone) == ("Nama Baru", "+6281398765432")


def test_post_without_csrf_token_is_refused(client, user):
    response = client.post("/login", data={"email": user.email, "password": DEMO_PASSWORD})
    assert response.status_code == 400
    assert "Formulir kedaluwarsa" in response.get_data(as_text=True)


def test_login_limit_is_per_account_so_others_behind_the_same_address_get_in(client, auth, user, db):
    other = UserFactory()
    db.session.commit()
    token = auth.csrf_token("/login")
    for _ in range(11):
        client.post("/login", data={"email": user.email, "password": "wrong", "csrf_token": token})
    assert (
        client.post("/login", data={"email": user.email, "password": DEMO_PASSWORD, "csrf_token": token}).status_code
        == 429
    )
    response = client.post("/login", data={"email": other.email, "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_behind_a_proxy_the_users_address_is_counted_not_the_balancers(database_uri, user, db):

    app = make_app(database_uri, PROXY_HOPS=1)
    with app.app_context():
        client = app.test_client()
        token = AuthActions(client).csrf_token("/login")
        data = {"email": user.email, "password": "wrong", "csrf_token": token}
        for _ in range(11):
            client.post("/login", data=data, headers={"X-Forwarded-For": "203.0.113.7"})
        assert client.post("/login", data=data, headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 429
        assert client.post("/login", data=data, headers={"X-Forwarded-For": "198.51.100.9"}).status_code == 422


def test_guessing_the_current_password_is_rate_limited(auth, user):
    auth.login(user)
    token = auth.csrf_token("/account")
    data = {
        "csrf_token": token,
        "password-csrf_token": token,
        **password_change("guess"),
    }
    statuses = [auth.client.post("/account", data=data).status_code for _ in range(11)]
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429


def test_changing_the_password_does_not_turn_on_remember_me(auth, user):
    auth.login(user)
    response = auth.post("/account", password_change(DEMO_PASSWORD), page="/account")
    assert not any(c.startswith("remember_token=") and "Expires=" in c for c in response.headers.getlist("Set-Cookie"))
