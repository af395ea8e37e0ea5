"""The multi-node topology (portal/ops/topology.py) for tests: HAProxy, gunicorn web nodes, RQ
workers and the scheduler against the suite's PostgreSQL database and Redis. Only on the
PostgreSQL + Redis run (CI's second `make test`); with CI=true a missing HAProxy is a failure."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator

import pytest

from portal.ops.topology import Topology


def topology_missing() -> str | None:
    """Why the topology cannot run here, or None."""
    if not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgres"):
        return "the topology needs PostgreSQL (TEST_DATABASE_URL)"
    if not os.environ.get("REDIS_URL"):
        return "the topology needs Redis (REDIS_URL)"
    if not (shutil.which("haproxy") or os.path.exists("/usr/sbin/haproxy")):
        return "HAProxy is not installed (scripts/install-haproxy.sh)"
    return None


@pytest.fixture(scope="module")
def topology(database_uri: str, localstripe) -> Iterator[Topology]:
    """Two web nodes (one gunicorn process each, to start fast), two workers, the scheduler;
    its own queue name, so nothing else on this Redis feeds its workers."""
    reason = topology_missing()
    if reason:
        if os.environ.get("CI") and "HAProxy" in reason:
            pytest.fail(reason)
        pytest.skip(reason)
    stripe = {key: str(value) for key, value in localstripe.config.items() if key.startswith("STRIPE_")}
    env = {"JOBS_QUEUE": f"topology-{uuid.uuid4().hex[:8]}", "GUNICORN_ACCESSLOG": "", **stripe}
    with Topology(database_uri, os.environ["REDIS_URL"], webs=2, workers=2, env=env) as running:
        yield running
