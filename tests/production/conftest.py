"""The production shape under test: HAProxy in front of two gunicorn web nodes, two RQ workers
and the scheduler (portal/ops/topology.py), on PostgreSQL and Redis. These tests run in CI's
second pass (TEST_DATABASE_URL on PostgreSQL, REDIS_URL set) and skip, saying why, otherwise;
with CI=true a missing HAProxy or PostgreSQL binary fails instead.

The test process sets the world up with the factories on the same database (warungs, drivers,
customers), signs people in by writing their session row and signing their cookie with the
topology's SECRET_KEY (200 logins from one address would meet the login rate limit, which is
not what these tests are about), and from then on only speaks HTTP to the load balancer.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from flask import Flask

from portal.accounts.sessions import start_session
from portal.extensions import db
from tests.conftest import empty_all_tables, make_app
from tests.couriers.gosend_server import CALLBACK_TOKEN, CLIENT_ID, PASS_KEY
from tests.production import pgcluster
from tests.production.fakes import HoldingGoSend

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# Valid for production's checks (weak_secrets): a SECRET_KEY of 32+ bytes, the tests' Fernet key
# (the factories encrypt drivers' NIKs with it, so the nodes can read them).
SECRET_KEY = secrets.token_urlsafe(48)
DATA_KEY = "dGVzdGluZy1kYXRhLWtleS1ub3Qtc2VjcmV0LTEyMzQ="


def _why_not() -> str | None:
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql")):
        return "production tests need PostgreSQL (TEST_DATABASE_URL) and Redis (REDIS_URL)"
    if not os.environ.get("REDIS_URL"):
        return "production tests need Redis (REDIS_URL)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _why_not()
    for item in items:
        if "tests/production" in str(item.fspath):
            item.add_marker(pytest.mark.production)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


def _require(reason: str | None) -> None:
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the production tests must run in CI: {reason}")
        pytest.skip(reason)


def haproxy_missing() -> str | None:
    if shutil.which("haproxy") or os.path.exists("/usr/sbin/haproxy"):
        return None
    return "HAProxy is not installed (scripts/install-haproxy.sh)"


@pytest.fixture
def throwaway_postgres():
    """A PostgreSQL cluster of this test's own: restarting it disturbs nobody else's tests."""
    _require(pgcluster.available())
    with pgcluster.ThrowawayPostgres() as cluster:
        yield cluster


@pytest.fixture(scope="module")
def gosend() -> Iterator[HoldingGoSend]:
    """The GoSend-shaped provider the nodes book with first (the local fleet is the fallback)."""
    with HoldingGoSend() as server:
        yield server


def topology_env(gosend: HoldingGoSend, **extra: str) -> dict[str, str]:
    return {
        "SECRET_KEY": SECRET_KEY,
        "DATA_KEY": DATA_KEY,
        "JOBS_QUEUE": f"production-test-{uuid.uuid4().hex[:8]}",
        "GUNICORN_ACCESSLOG": "",
        "COURIER_PROVIDERS": "gosend,local",
        "GOSEND_BASE_URL": gosend.url,
        "GOSEND_CLIENT_ID": CLIENT_ID,
        "GOSEND_PASS_KEY": PASS_KEY,
        "GOSEND_CALLBACK_TOKEN": CALLBACK_TOKEN,
        **extra,
    }


class World:
    """The test's hands on the topology: the database (through an app of its own, for the
    factories and for reading what the nodes wrote) and signed-in HTTP clients."""

    def __init__(self, topology, database_url: str) -> None:
        self.topology = topology
        self.app: Flask = make_app(database_url, SECRET_KEY=SECRET_KEY, DATA_KEY=DATA_KEY)
        self.clients: list[httpx.Client] = []

    @contextmanager
    def db(self):
        """An app context whose session sees every commit so far; what it loaded stays readable
        (detached) after the block. A request context: services build URLs and messages."""
        with self.app.test_request_context():
            db.session().expire_on_commit = False
            try:
                yield db.session
                db.session.commit()
            finally:
                db.session.remove()

    def client(self, user=None, *, base: str | None = None) -> httpx.Client:
        """A browser: through the load balancer (https, as production's Secure cookies need),
        signed in as `user` when given."""
        base = base or self.topology.url
        # Over https Flask-WTF also checks that a form comes from the site's own pages (Referer).
        client = httpx.Client(
            base_url=base,
            verify=False,  # noqa: S501 - the topology's own throwaway certificate
            timeout=60,
            follow_redirects=False,
            headers={"Referer": f"{base}/"},
        )
        if user is not None:
            with self.app.test_request_context():
                user = db.session.merge(user)
                start_session(user, user_agent="production test")
                token = user.session_key
                db.session.commit()
                cookie = self.app.session_interface.get_signing_serializer(self.app).dumps(
                    {"_user_id": token, "_fresh": True}
                )
            client.cookies.set("session", cookie, domain="127.0.0.1", path="/")
        self.clients.append(client)
        return client

    def close(self) -> None:
        for client in self.clients:
            client.close()
        self.clients.clear()
        with self.app.app_context():
            empty_all_tables()
            db.engine.dispose()


def csrf(client: httpx.Client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code, page.text[:500])
    match = TOKEN.search(page.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def served(topology) -> dict[str, int]:
    """How many requests HAProxy has sent each web node so far (its `stot` counter)."""
    socket_path = topology.log_dir / "haproxy.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(2)
        sock.connect(str(socket_path))
        sock.sendall(b"show stat\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    lines = data.decode().splitlines()
    header = lines[0][2:].split(",")
    counts = {}
    for line in lines[1:]:
        row = dict(zip(header, line.split(","), strict=False))
        if row.get("pxname") == "web" and row.get("svname", "").startswith("web"):
            counts[row["svname"]] = int(row.get("stot") or 0)
    return counts
