"""Background jobs: one `enqueue`, run after the enqueuing transaction commits.

Inline mode (the default) runs each job right after the commit, in a fresh app context with its
own session, so the job sees exactly what a worker would. RQ mode sends it to Redis for
`flask jobs worker`. A rollback discards the jobs it would have started. Job functions take
plain ids, load what they need, and must be idempotent: RQ may run one twice.

What survives what (RQ mode):
- A worker killed mid-job (SIGKILL, a lost machine): the job stays in RQ's StartedJobRegistry;
  once its heartbeat expires (the job's monitoring interval + 60 s) a surviving worker's
  maintenance (every MAINTENANCE_SECONDS) finds it abandoned and, as every job is queued with a
  `Retry`, queues it again. Running it again is harmless: jobs are idempotent by database state.
- Redis down when a request commits: the request has committed, so its jobs are not thrown away
  and the page does not fail: they are kept in PostgreSQL (`job_outbox`) and `drain_outbox`,
  a scheduled job, queues them again once Redis answers. For REDIS_BACKOFF seconds after a
  failure, jobs go straight to the outbox instead of waiting on Redis again.
"""

from __future__ import annotations

import logging
import pickle
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask, current_app, has_app_context
from redis import Redis, RedisError
from rq import Queue, Retry
from sqlalchemy import LargeBinary, String, delete, event, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.database import serialized, utcnow
from portal.extensions import db

log = logging.getLogger(__name__)
_PENDING = "gancang_pending_jobs"
JOB_TIMEOUT = 120  # seconds a job may run before RQ kills it
# A job that failed or whose worker died is tried again, 3 more times: at once, then after 30 s and 2 min.
RETRY = Retry(max=3, interval=[0, 30, 120])
# How often a worker looks for jobs whose worker died (RQ's default is 10 minutes).
MAINTENANCE_SECONDS = 60
REDIS_TIMEOUT = 1.0  # seconds a web request waits on Redis before it keeps its jobs in the outbox
REDIS_BACKOFF = 5.0  # seconds after a Redis failure during which jobs go straight to the outbox
_redis_down_until = 0.0  # per process


class OutboxJob(db.Model):
    """A job that could not reach Redis, kept until `drain_outbox` queues it."""

    __tablename__ = "job_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))  # the job's function, for people reading the table
    payload: Mapped[bytes] = mapped_column(LargeBinary)  # pickled (function, args, kwargs), as RQ keeps it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def _dotted(func: Callable[..., Any]) -> str:
    return f"{func.__module__}:{func.__qualname__}"


def _resolve(dotted: str) -> Callable[..., Any]:
    module_name, _, attr = dotted.partition(":")
    module = __import__(module_name, fromlist=[attr])
    return getattr(module, attr)


def enqueue(func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run `func(*args, **kwargs)` once the current transaction commits."""
    db.session.info.setdefault(_PENDING, []).append((_dotted(func), args, kwargs))


def _send(queue: Queue, dotted: str, args: tuple, kwargs: dict) -> None:
    queue.enqueue(run_job, dotted, args, kwargs, job_timeout=JOB_TIMEOUT, retry=RETRY)


def _dispatch(app: Flask, jobs: list[tuple[str, tuple, dict]]) -> None:
    if app.config["JOBS_MODE"] == "rq":
        global _redis_down_until
        sent = 0
        if time.monotonic() >= _redis_down_until:
            try:
                queue = get_queue(app)
                for job in jobs:
                    _send(queue, *job)
                    sent += 1
            except RedisError as error:
                _redis_down_until = time.monotonic() + REDIS_BACKOFF
                log.warning("Redis did not take %d jobs (%s): kept in the outbox", len(jobs) - sent, error)
        if sent < len(jobs):
            _keep(jobs[sent:])
        return
    for dotted, args, kwargs in jobs:
        with app.app_context():
            try:
                _run(dotted, args, kwargs)
            except Exception:
                log.exception("inline job %s failed", dotted)
                if app.config["JOBS_RAISE"]:
                    raise


def _run(dotted: str, args: tuple, kwargs: dict) -> None:
    try:
        with serialized():
            _resolve(dotted)(*args, **kwargs)
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        db.session.remove()


_worker_app: Flask | None = None


def run_job(dotted: str, args: tuple, kwargs: dict) -> None:
    """Entry point RQ calls in the worker process (or in-process for a synchronous queue)."""
    global _worker_app
    if has_app_context():
        # A synchronous queue (tests) calls us inside the app already: use a fresh context anyway.
        app = current_app._get_current_object()
    else:
        if _worker_app is None:
            from portal import create_app  # noqa: PLC0415 - portal imports this module: a worker builds its app late

            _worker_app = create_app()
        app = _worker_app
    with app.app_context():
        _run(dotted, args, kwargs)


def _keep(jobs: list[tuple[str, tuple, dict]]) -> None:
    """Into the outbox, in a transaction of their own (the request's has committed)."""
    rows = [{"name": dotted[:200], "payload": pickle.dumps((dotted, args, kwargs))} for dotted, args, kwargs in jobs]
    try:
        with db.engine.begin() as connection:
            connection.execute(insert(OutboxJob), rows)
    except Exception:
        log.exception("jobs lost: neither Redis nor the database took %s", [dotted for dotted, _, _ in jobs])


def drain_outbox(limit: int = 500) -> int:
    """Job (scheduled): queue the jobs kept while Redis was down; answers how many. Several
    drains at once take different rows (SKIP LOCKED); a row leaves the outbox in the
    transaction that queued it, so a drain that dies midway queues some twice at worst, which
    idempotent jobs shrug off."""
    rows = db.session.scalars(
        select(OutboxJob).order_by(OutboxJob.id).limit(limit).with_for_update(skip_locked=True)
    ).all()
    if not rows:
        return 0
    queue = get_queue()
    for row in rows:
        _send(queue, *pickle.loads(row.payload))  # noqa: S301 - our own table, written by _keep
    db.session.execute(delete(OutboxJob).where(OutboxJob.id.in_([row.id for row in rows])))
    log.info("queued %d jobs from the outbox", len(rows))
    return len(rows)


def get_queue(app: Flask | None = None):
    app = app or current_app._get_current_object()
    connection = Redis.from_url(
        app.config["REDIS_URL"], socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
    )
    # Tests run against real Redis but execute jobs synchronously, so assertions can follow.
    return Queue(app.config["JOBS_QUEUE"], connection=connection, is_async=not app.testing)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # SQLAlchemy 2.1 sends after_commit when a SAVEPOINT is released too (payments' begin_nested):
    # the jobs wait for the real commit, or a job would read rows that are not committed yet.
    if session.in_nested_transaction():
        return
    jobs = session.info.pop(_PENDING, None)
    if jobs:
        # The session is done with SQL here; each job gets its own app context and session.
        _dispatch(current_app._get_current_object(), jobs)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    # Only the real transaction's rollback discards jobs: a SAVEPOINT rolled back inside a
    # transaction that then commits (a caught IntegrityError) must not lose what came before.
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)
