"""Periodic work: the rides sweep, the couriers sweep and the payments reconcile.

In production `flask jobs cron` runs RQ's own cron scheduler (rq.cron, part of the pinned rq 3.0:
no second package, no second scheduler to keep alive beside the workers), which puts each job on
the queue at its interval; any worker runs it. `make run` (no Redis) runs the same ticks
in-process from the same command. Each tick:

- takes a PostgreSQL advisory lock for its name inside its transaction, so two workers (or two
  schedulers enqueueing the same job) never sweep at once: the second sees the lock and skips.
  On SQLite the runner's BEGIN IMMEDIATE serialises writers the same way;
- runs the work in a SAVEPOINT and writes the outcome (last run, last result or error) to
  `job_runs` in the same transaction, which the admin home page shows.
The sweeps themselves are idempotent, so a tick run twice in a row changes nothing the second time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from redis import Redis
from rq.cron import CronScheduler
from sqlalchemy import select, text

from portal.database import utcnow
from portal.extensions import db
from portal.jobs import run_job
from portal.ops.models import JobRun

log = logging.getLogger(__name__)
LOCK_NAMESPACE = 0x6A6F62  # "job": the first key of pg_try_advisory_xact_lock(int, int)


@dataclass(frozen=True)
class Periodic:
    name: str
    target: str  # "module:function", called with no arguments; it flushes, the tick commits
    every: int  # seconds


# templates/admin/dashboard.html says what each one does.
PERIODIC = (
    Periodic("rides-sweep", "portal.rides.services:sweep", 60),
    Periodic("couriers-sweep", "portal.couriers.services:sweep", 15),
    Periodic("payments-reconcile", "portal.payments.services.reconcile:reconcile", 60),
    # Jobs a request could not hand to Redis (it was down), queued once it is back.
    Periodic("jobs-outbox", "portal.jobs:drain_outbox", 10),
)
BY_NAME = {job.name: job for job in PERIODIC}


def _target(dotted: str) -> Callable[[], object]:
    module_name, _, attr = dotted.partition(":")
    module = __import__(module_name, fromlist=[attr])
    return getattr(module, attr)


def _try_lock(name: str) -> bool:
    """The transaction-scoped advisory lock for `name`; released by the runner's commit."""
    if db.session.get_bind().dialect.name != "postgresql":
        return True  # SQLite: the job runner began this transaction IMMEDIATE (one writer at a time)
    sql = text("SELECT pg_try_advisory_xact_lock(:namespace, hashtext(:name))")
    return bool(db.session.scalar(sql, {"namespace": LOCK_NAMESPACE, "name": name}))


def tick(name: str, *, now: datetime | None = None) -> str:
    """Run periodic job `name` once, unless another process is running it: "ok", "failed" or
    "skipped". A failure is recorded, not raised: the next tick is the retry."""
    job = BY_NAME[name]
    if not _try_lock(name):
        log.info("periodic %s: running elsewhere, skipped", name)
        return "skipped"
    row = db.session.get(JobRun, name) or JobRun(name=name, runs=0, failures=0, last_error="", last_result="")
    db.session.add(row)
    row.last_started_at = now or utcnow()
    row.last_node = current_app.config.get("NODE_NAME", "")[:120]
    started = time.perf_counter()
    try:
        with db.session.begin_nested():
            result = _target(job.target)()
    except Exception as exc:  # every failure is recorded for the admin and logged
        log.exception("periodic %s failed", name)
        row.failures += 1
        row.last_error_at = utcnow()
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        outcome = "failed"
    else:
        row.last_ok_at = utcnow()
        row.last_result = (str(result) if result is not None else "")[:300]
        outcome = "ok"
    row.runs += 1
    row.last_finished_at = utcnow()
    db.session.flush()
    log.info("periodic %s: %s in %.0f ms", name, outcome, (time.perf_counter() - started) * 1000)
    return outcome


def status() -> list[tuple[Periodic, JobRun | None]]:
    """Each periodic job with its last run (None: never ran), for the admin page."""
    rows = {row.name: row for row in db.session.scalars(select(JobRun))}
    return [(job, rows.get(job.name)) for job in PERIODIC]


def cron_scheduler(app) -> CronScheduler:
    """RQ's cron scheduler with every periodic job registered on the app's queue. A job that
    waited past its interval is dropped (ttl): the next one is already on its way."""
    scheduler = CronScheduler(connection=Redis.from_url(app.config["REDIS_URL"]))
    for job in PERIODIC:
        scheduler.register(
            run_job,
            app.config["JOBS_QUEUE"],
            args=(f"{__name__}:tick", (job.name,), {}),
            interval=job.every,
            ttl=job.every,
            job_timeout=300,
            name=job.name,
        )
    return scheduler


def run_inline(*, rounds: int = 0, sleep: Callable[[float], None] = time.sleep) -> None:
    """Without Redis (`make run`): the same ticks in this process, each at its interval."""
    due = dict.fromkeys(BY_NAME, 0.0)
    done = 0
    while True:
        for name, at in due.items():
            if time.monotonic() >= at:
                run_job(f"{__name__}:tick", (name,), {})
                due[name] = time.monotonic() + BY_NAME[name].every
        done += 1
        if rounds and done >= rounds:
            return
        sleep(1)
