from __future__ import annotations

import os

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import jobs
from portal.accounts.models import User
from portal.extensions import db
from tests.factories import UserFactory

calls: list[int] = []


def rename(user_id: int, name: str) -> None:
    """A job: loads by id, changes state; the job runner commits."""

    calls.append(user_id)
    db.session.get(User, user_id).name = name


def test_job_runs_after_commit_and_sees_committed_rows(db, user):
    calls.clear()
    jobs.enqueue(rename, user.id, "Renamed")
    assert calls == []  # nothing runs before the commit
    db.session.commit()
    assert calls == [user.id]
    db.session.expire_all()
    assert db.session.scalar(select(User.name).where(User.id == user.id)) == "Renamed"


def test_rollback_discards_jobs(db, user):
    calls.clear()
    jobs.enqueue(rename, user.id, "Never")
    db.session.rollback()
    db.session.commit()
    assert calls == []


def test_rq_worker_runs_jobs_from_real_redis(app, db, user):
    """With REDIS_URL set, jobs travel through Redis to a worker (a burst SimpleWorker here)."""

    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("REDIS_URL not set: jobs run inline (covered above)")

    connection = Redis.from_url(redis_url)
    queue = Queue(f"gancang-test-{os.getpid()}", connection=connection)
    queue.enqueue(jobs.run_job, "tests.core.test_jobs:rename", (user.id, "From Redis"), {})
    SimpleWorker([queue], connection=connection).work(burst=True)
    db.session.commit()  # end this session's read: on SQLite it is a snapshot from before the job
    assert db.session.scalar(select(User.name).where(User.id == user.id)) == "From Redis"
    queue.delete(delete_jobs=True)


def test_a_rolled_back_savepoint_keeps_the_jobs_queued_before_it(db, user):
    """A caught IntegrityError inside begin_nested() must not lose the request's other jobs."""

    calls.clear()
    jobs.enqueue(rename, user.id, "Kept")
    with pytest.raises(IntegrityError), db.session.begin_nested():
        UserFactory(email=user.email)  # unique email: the savepoint fails
    db.session.commit()
    assert calls == [user.id]


def test_jobs_wait_in_the_outbox_while_redis_is_down_and_run_once_it_is_back(app, db, user, monkeypatch):
    """The request commits, its page does not fail, and its job is not lost: kept in the
    database, queued again by `drain_outbox` (a scheduled job) once Redis answers."""

    app.config.update(JOBS_MODE="rq", REDIS_URL="redis://127.0.0.1:9/0")  # nothing listens on port 9
    monkeypatch.setattr(jobs, "_redis_down_until", 0.0)
    calls.clear()
    jobs.enqueue(rename, user.id, "Kept")
    db.session.commit()  # no error: Redis's failure is not the request's
    assert calls == []
    jobs.enqueue(rename, user.id, "Kept too")
    db.session.commit()  # within REDIS_BACKOFF: straight to the outbox, no wait on Redis
    assert [row.name for row in db.session.scalars(select(jobs.OutboxJob))] == ["tests.core.test_jobs:rename"] * 2

    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        return
    app.config["REDIS_URL"] = redis_url  # Redis is back; tests run a queue's jobs at once
    with app.app_context():  # as a worker runs the scheduled drain: a session of its own
        jobs._run("portal.jobs:drain_outbox", (), {})
    assert calls == [user.id, user.id]
    db.session.expire_all()
    assert db.session.scalar(select(User.name).where(User.id == user.id)) == "Kept too"
    assert db.session.scalars(select(jobs.OutboxJob)).all() == []
