"""Background jobs: one `enqueue`, run after the enqueuing transaction commits.

Inline mode (the default) runs each job right after the commit, in a fresh app context with its
own session, so the job sees exactly what a worker would. RQ mode sends it to Redis for
`flask jobs worker`. A rollback discards the jobs it would have started. Job functions take
plain ids, load what they need, and must be idempotent: RQ may run one twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Queue
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.database import serialized
from portal.extensions import db

log = logging.getLogger(__name__)
_PENDING = "gancang_pending_jobs"


def _dotted(func: Callable[..., Any]) -> str:
    return f"{func.__module__}:{func.__qualname__}"


def _resolve(dotted: str) -> Callable[..., Any]:
    module_name, _, attr = dotted.partition(":")
    module = __import__(module_name, fromlist=[attr])
    return getattr(module, attr)


def enqueue(func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run `func(*args, **kwargs)` once the current transaction commits."""
    db.session.info.setdefault(_PENDING, []).append((_dotted(func), args, kwargs))


def _dispatch(app: Flask, jobs: list[tuple[str, tuple, dict]]) -> None:
    if app.config["JOBS_MODE"] == "rq":
        queue = get_queue(app)
        for dotted, args, kwargs in jobs:
            queue.enqueue(run_job, dotted, args, kwargs, job_timeout=120)
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


def get_queue(app: Flask | None = None):
    app = app or current_app._get_current_object()
    connection = Redis.from_url(app.config["REDIS_URL"])
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
