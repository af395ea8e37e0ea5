"""The topology itself: HAProxy spreads requests over both web nodes, routes around a killed
one and takes it back, and the scheduler's periodic jobs run on the workers."""

from __future__ import annotations

import time
from collections import Counter

import pytest
import sqlalchemy as sa

from portal.ops.periodic import PERIODIC

pytestmark = pytest.mark.alone  # tests/parallel.py: HAProxy's health checks against nodes killed and restarted


def nodes_answering(topology, count: int) -> Counter:
    with topology.client(timeout=10) as client:
        answers = [client.get("/healthz") for _ in range(count)]
    assert [a.status_code for a in answers] == [200] * count, [(a.status_code, a.text[:200]) for a in answers]
    return Counter(a.json()["node"] for a in answers)


def test_requests_are_spread_over_both_web_nodes(topology):
    assert nodes_answering(topology, 10) == {"web0": 5, "web1": 5}
    with topology.client() as client:
        ready = client.get("/readyz")
        home = client.get("/")
    assert ready.json()["database"] == "ok" and ready.json()["queue"] == "ok"
    assert home.status_code == 200 and "Gancang" in home.text


def test_a_killed_node_is_routed_around_and_taken_back(topology):
    topology.kill_web(0)
    # At once, before the health check has noticed: the refused connections are retried on web1.
    assert nodes_answering(topology, 10) == {"web1": 10}
    topology.start_web(0)
    assert topology.backend_status() == {"web0": "UP", "web1": "UP"}
    assert set(nodes_answering(topology, 10)) == {"web0", "web1"}


def test_the_scheduler_runs_every_periodic_job_on_a_worker(topology, database_uri):
    engine = sa.create_engine(database_uri)
    deadline = time.monotonic() + 60
    try:
        while True:
            with engine.connect() as conn:
                rows = conn.execute(sa.text("SELECT name, runs, failures, last_node FROM job_runs")).all()
            if len(rows) == len(PERIODIC) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    finally:
        engine.dispose()
    assert {row.name for row in rows} == {job.name for job in PERIODIC}
    assert all(row.runs >= 1 and row.failures == 0 for row in rows), rows
    assert {row.last_node for row in rows} <= {"worker0", "worker1"}


def test_a_killed_worker_is_replaced(topology):
    topology.kill_worker(1)
    topology.procs["worker1"].wait(timeout=10)
    topology.start_worker(1)  # returns once Redis knows the new worker
    assert topology.procs["worker1"].poll() is None
    assert topology.backend_status() == {"web0": "UP", "web1": "UP"}  # the web nodes never noticed
