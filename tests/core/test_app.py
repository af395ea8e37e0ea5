from __future__ import annotations

import importlib
import re
import sys
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from portal import config
from portal.accounts.models import Role, User
from portal.formatting import rupiah, wib, wib_time
from tests.conftest import make_app
from tests.factories import UserFactory


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"


def test_healthz_answers_without_the_database_and_readyz_does_not(database_uri):
    """The load balancer checks /healthz: a database outage must not take every node out."""
    broken = make_app("postgresql+psycopg://nobody@127.0.0.1:1/none", NODE_NAME="web7")
    with broken.app_context():
        alive = broken.test_client().get("/healthz")
        ready = broken.test_client().get("/readyz")
    assert alive.status_code == 200 and alive.json["node"] == "web7"
    assert ready.status_code == 503
    assert ready.json["database"].startswith("error")


def test_readyz_ok(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["database"] == "ok"


def test_readyz_503_when_redis_unreachable(database_uri):
    app = make_app(database_uri, REDIS_URL="redis://127.0.0.1:1/0")
    with app.app_context():
        response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["queue"].startswith("error")


def test_security_headers_and_csp_without_inline_script(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    html = response.get_data(as_text=True)
    assert "<script>" not in html and " onclick=" not in html


def test_htmx_csrf_header_is_set_once_on_body(client):
    html = client.get("/").get_data(as_text=True)
    assert '<body hx-headers=\'{"X-CSRFToken": "' in html


@pytest.mark.parametrize(("lang", "text"), [("id", "Halaman tidak ditemukan"), ("en", "Page not found")])
def test_404_page_in_both_languages(client, lang, text):
    client.set_cookie("lang", lang)
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert text in response.get_data(as_text=True)


def test_403_page_in_both_languages(client, auth, user):
    auth.login(user)
    assert "Anda tidak punya akses" in client.get("/admin").get_data(as_text=True)
    client.set_cookie("lang", "en")
    user.locale = None
    response = client.get("/admin")
    assert response.status_code == 403


def test_500_page_is_friendly_and_translated(database_uri):
    app = make_app(database_uri, PROPAGATE_TEST_ERRORS=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    with app.app_context():
        response = app.test_client().get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Ada gangguan di sisi kami" in page and "kaboom" not in page


def test_htmx_request_gets_only_the_fragment(client, auth, db):

    admin = UserFactory(roles=[Role.ADMIN], name="Admin Satu")
    db.session.commit()
    auth.login(admin)
    full = client.get("/admin/users")
    fragment = client.get("/admin/users", headers={"HX-Request": "true"})
    boosted = client.get("/admin/users", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in full.get_data(as_text=True)
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith('<section id="results">') and "Admin Satu" in body
    assert "<html" in boosted.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"] and "HX-Request" in full.headers["Vary"]


def test_static_files_have_fingerprinted_urls_cached_for_a_year(client):
    html = client.get("/").get_data(as_text=True)

    css = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{12})"', html).group(1)
    response = client.get(css)
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert "immutable" in response.headers["Cache-Control"]


def test_pages_are_served_compressed(client):
    response = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("Content-Encoding") == "gzip"


@pytest.mark.parametrize(
    ("amount", "text"), [(25000, "Rp25.000"), (0, "Rp0"), (1500000, "Rp1.500.000"), (-500, "-Rp500")]
)
def test_rupiah(amount, text):
    assert rupiah(amount) == text


def test_times_render_in_wib(app: Flask):

    moment = datetime(2026, 12, 14, 17, 30, tzinfo=UTC)  # 00:30 on the 15th in Jakarta
    with app.test_request_context("/"):
        assert wib_time(moment) == "00.30 WIB"
        assert wib(moment) == "Sel, 15 Des 2026, 00.30 WIB"


@pytest.mark.parametrize(
    ("language", "when", "time"),
    [("en", "Tue 15 Dec 2026, 00:30 WIB", "00:30 WIB"), ("id", "Sel, 15 Des 2026, 00.30 WIB", "00.30 WIB")],
)
def test_one_unambiguous_24_hour_form_per_language(app: Flask, language, when, time):
    """Never 12/15/26 or 12:30 AM: a tourist must not come on the wrong night."""

    moment = datetime(2026, 12, 14, 17, 30, tzinfo=UTC)
    with app.test_request_context("/"), force_locale(language):
        assert wib(moment) == when
        assert wib_time(moment) == time


def test_development_links_in_messages_use_the_port_make_run_serves_on(monkeypatch):
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    monkeypatch.setenv("PORT", "5123")
    assert config.load("development").PUBLIC_URL == "http://127.0.0.1:5123"
    monkeypatch.delenv("PORT")
    assert config.load("development").PUBLIC_URL == "http://127.0.0.1:5000"


def test_production_refuses_to_start_without_secrets(monkeypatch):

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATA_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        config.load("production")


@pytest.mark.parametrize("missing", ["PUBLIC_URL", "REDIS_URL", "DATABASE_URL"])
def test_production_needs_a_public_url_redis_and_a_database(monkeypatch, missing):
    """No silent SQLite file inside a container: DATABASE_URL too is required."""

    production_env(monkeypatch)
    monkeypatch.delenv(missing)
    with pytest.raises(RuntimeError, match=missing):
        config.load("production")


def test_a_server_without_gancang_env_is_production(monkeypatch):
    """gunicorn wsgi:app with the variable forgotten must not run on development keys."""

    monkeypatch.delenv("GANCANG_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    sys.modules.pop("wsgi", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        importlib.import_module("wsgi")


def production_env(monkeypatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "s" * 32)
    monkeypatch.setenv("DATA_KEY", "dGVzdGluZy1kYXRhLWtleS1ub3Qtc2VjcmV0LTEyMzQ=")
    monkeypatch.setenv("PUBLIC_URL", "https://gancang.example")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setenv("DATABASE_URL", "postgresql://gancang@db.example/gancang")


def test_production_sets_secure_cookies(monkeypatch):

    production_env(monkeypatch)
    prod = config.load("production")
    assert prod.SESSION_COOKIE_SECURE and prod.REMEMBER_COOKIE_SECURE


def test_production_shares_the_page_cache_in_redis_and_sizes_its_pool(monkeypatch):
    production_env(monkeypatch)
    monkeypatch.setenv("DB_POOL_SIZE", "4")
    monkeypatch.delenv("CACHE_TYPE", raising=False)
    prod = config.load("production")
    assert prod.CACHE_TYPE == "RedisCache"
    assert prod.CACHE_REDIS_URL.startswith("redis://127.0.0.1:6379/15?socket_timeout=0.5")
    prefix = prod.CACHE_KEY_PREFIX  # a new release, new keys
    assert prefix == f"gancang:{config.release()}:"
    assert prod.SQLALCHEMY_ENGINE_OPTIONS["pool_size"] == 4
    assert config.load("development").CACHE_TYPE == "SimpleCache"


def test_aware_datetimes_round_trip_as_utc(db, user):
    db.session.expire_all()
    assert user.created_at.tzinfo is not None
    assert user.created_at.utcoffset().total_seconds() == 0


def test_activity_cursor_without_timezone_is_read_as_utc(client, auth, user):
    auth.login(user)
    assert client.get("/my/activity?before=2026-11-23T10:00:00").status_code == 200
    assert client.get("/my/activity?before=not-a-date").status_code == 200


def test_a_strange_language_cookie_is_not_stored_at_registration(client, auth, db):

    client.set_cookie("lang", "x" * 40)
    auth.post(
        "/register",
        {
            "name": "Wayan",
            "email": "wayan@example.com",
            "phone": "081234567891",
            "password": "rahasia-sekali",
            "password_confirm": "rahasia-sekali",
        },
        page="/register",
    )
    assert db.session.scalar(select(User.locale).where(User.email == "wayan@example.com")) is None
