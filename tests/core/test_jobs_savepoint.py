"""A SAVEPOINT released inside a transaction (payments' begin_nested) is not the commit: jobs
enqueued before it still wait for the real one."""

from __future__ import annotations

from portal import jobs
from tests.core.test_jobs import calls, rename


def test_jobs_wait_for_the_real_commit_not_a_savepoint(db, user):
    calls.clear()
    jobs.enqueue(rename, user.id, "After commit")
    with db.session.begin_nested():
        user.locale = "en"
    assert calls == []
    db.session.commit()
    assert calls == [user.id]
