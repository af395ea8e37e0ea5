"""Shared fixtures: a real database (SQLite file, or a fresh PostgreSQL database when
TEST_DATABASE_URL is set) built once per run by the migrations, emptied after every test."""

from __future__ import annotations

import contextvars
import os
import re
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade

from portal import create_app, pagecache
from portal.accounts.models import Role
from portal.config import TestingConfig, database_url
from portal.extensions import db as _db
from portal.extensions import limiter
from tests.factories import DEMO_PASSWORD, UserFactory

if TYPE_CHECKING:
    from tests.maps_fixtures import FakeMaps
    from tests.payments_fixtures import LocalStripe

# The session-wide fake Stripe (localstripe) every `app` talks to.
# The session-wide fake geocoder and tile server (tests/maps_server.py) every `app` talks to.
# What a run on several xdist workers needs (`alone` tests, tests/parallel.py).
# The security probe's counts at the end of the run.
pytest_plugins = ("tests.payments_fixtures", "tests.maps_fixtures", "tests.parallel", "tests.security.report")


def _fresh_postgres(base_url: str, worker: str) -> tuple[str, str, str]:
    """Create an empty database beside the one TEST_DATABASE_URL names; return (url, admin_url, name)."""
    url = database_url(base_url)
    parts = urlsplit(url)
    name = f"gancang_test_{worker}_{uuid.uuid4().hex[:8]}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return urlunsplit(parts._replace(path=f"/{name}")), admin_url, name


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    base = os.environ.get("TEST_DATABASE_URL")
    if base and not base.startswith("sqlite"):
        url, admin_url, name = _fresh_postgres(base, worker)
        _migrate(url)
        yield url
        engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        _migrate(url)
        yield url


def _migrate(url: str) -> None:
    """The schema comes from the migrations, exactly as in production."""

    app = make_app(url)
    with app.app_context():
        upgrade(revision="heads")
        _db.engine.dispose()


STATUS_LINE = re.compile(r"[1-5][0-9]{2}(?: [^\r\n]*)?")


def assert_valid_status_line(status: str) -> None:
    """What curl, httpx and proxies require: a 3-digit code first. Werkzeug builds "0 pending"
    from a string status without complaint, and a test that reads only the body misses it."""
    assert STATUS_LINE.fullmatch(status), f"invalid HTTP status line {status!r}"


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as on a real server.

    Flask reuses an app context that a test has pushed, which would share `g` (the logged-in
    user, the chosen locale) and the database session between requests. Running the request in
    an empty contextvars context makes Flask push a fresh one; the test's own context is untouched.
    """

    def open(self, *args, **kwargs):
        # The test's own transaction ends first: what it set up is committed, and it holds no
        # SQLite snapshot across the request, so afterwards it reads what the request wrote.
        if has_app_context():  # not on the inner call that follows a redirect
            _db.session.commit()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        assert_valid_status_line(response.status)
        return response


def make_app(url: str, **overrides) -> Flask:
    config = TestingConfig()
    config.SQLALCHEMY_DATABASE_URI = url
    for name, value in overrides.items():  # before create_app: some settings shape the app itself
        setattr(config, name, value)
    app = create_app(config)
    app.test_client_class = IsolatedClient
    return app


def empty_all_tables() -> None:
    tables = list(reversed(_db.metadata.sorted_tables))
    if _db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        _db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            _db.session.execute(table.delete())
    _db.session.commit()


@pytest.fixture
def app(
    database_uri: str, localstripe: LocalStripe, fake_maps: FakeMaps, request: pytest.FixtureRequest
) -> Iterator[Flask]:
    overrides = getattr(request, "param", None) or {}
    app = make_app(database_uri, **{**localstripe.config, **fake_maps.config, **overrides})
    with app.app_context():
        yield app
        # Emptied tables hand out the same ids again; a page kept under one would be the last
        # test's (its photos gone with its upload folder).
        pagecache.clear_all()
        _db.session.remove()
        empty_all_tables()
        limiter.reset()
        _db.engine.dispose()


@pytest.fixture
def db(app: Flask):
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, user_or_email, password: str = DEMO_PASSWORD, *, remember: bool = False):
        email = getattr(user_or_email, "email", user_or_email)
        with self.client.session_transaction():
            pass
        token = self.csrf_token("/login")
        return self.client.post(
            "/login",
            data={"email": email, "password": password, "remember": "y" if remember else "", "csrf_token": token},
        )

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": self.csrf_token("/")})

    def csrf_token(self, path: str = "/") -> str:
        """The token a page would give the browser (read from the rendered form)."""

        html = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
            r'"X-CSRFToken": "([^"]+)"', html
        )
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def post(self, path: str, data: dict | None = None, *, page: str | None = None, **kwargs):
        """POST like a browser: with the CSRF token of the page the form is on."""
        payload = {"csrf_token": self.csrf_token(page or "/"), **(data or {})}
        return self.client.post(path, data=payload, **kwargs)


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def user(db):
    """Someone signed up, reading the default language (Indonesian)."""
    user = UserFactory()
    db.session.commit()
    return user


@pytest.fixture
def customer(db):
    """Who orders, books and pays in the domains' tests; reads English, as the assertions do."""
    user = UserFactory(locale="en")
    db.session.commit()
    return user


@pytest.fixture
def admin(db):
    """The regency admin."""
    user = UserFactory(roles=[Role.ADMIN], locale="en")
    db.session.commit()
    return user
