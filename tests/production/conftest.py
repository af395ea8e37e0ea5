"""The production shape under test: PostgreSQL, Redis and HAProxy. These tests run in CI's
second pass (TEST_DATABASE_URL on PostgreSQL, REDIS_URL set) and skip, saying why, otherwise."""

from __future__ import annotations

import os

import pytest

from tests.production import pgcluster


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


@pytest.fixture
def throwaway_postgres():
    """A PostgreSQL cluster of this test's own: restarting it disturbs nobody else's tests."""
    reason = pgcluster.available()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the PostgreSQL restart test must run in CI: {reason}")
        pytest.skip(reason)
    with pgcluster.ThrowawayPostgres() as cluster:
        yield cluster
