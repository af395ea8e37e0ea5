"""The periodic jobs (portal/ops/periodic.py): each run is recorded for the admin, a failure is
recorded and does not stop the next run, and two workers never run one job at once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.ops import periodic
from portal.ops.models import JobRun
from portal.ops.periodic import PERIODIC, Periodic


def explode() -> None:
    raise RuntimeError("Stripe answered 500")


def test_cron_inline_runs_every_job_once_and_records_it(app, db):
    result = app.test_cli_runner().invoke(args=["jobs", "cron", "--inline", "--rounds", "1"])
    assert result.exit_code == 0, result.output
    runs = {row.name: row for row in db.session.scalars(sa.select(JobRun))}
    assert set(runs) == {job.name for job in PERIODIC}
    assert all(row.runs == 1 and row.failures == 0 and row.last_ok_at for row in runs.values())
    assert "'retried': 0" in runs["couriers-sweep"].last_result


def test_a_failure_is_recorded_and_the_next_run_clears_it(app, db, monkeypatch, admin, auth):
    monkeypatch.setitem(
        periodic.BY_NAME, "payments-reconcile", Periodic("payments-reconcile", f"{__name__}:explode", 60)
    )
    periodic.run_job(f"{periodic.__name__}:tick", ("payments-reconcile",), {})
    row = db.session.get(JobRun, "payments-reconcile")
    assert (row.runs, row.failures, row.failing) == (1, 1, True)
    assert row.last_error == "RuntimeError: Stripe answered 500"

    auth.login(admin)
    html = auth.client.get("/admin").get_data(as_text=True)
    assert "Periodic jobs" in html and "RuntimeError: Stripe answered 500" in html
    assert html.count("Not run yet") == 3  # the sweeps and the outbox never ran

    monkeypatch.undo()
    periodic.run_job(f"{periodic.__name__}:tick", ("payments-reconcile",), {})
    db.session.expire_all()
    row = db.session.get(JobRun, "payments-reconcile")
    assert (row.runs, row.failures, row.failing) == (2, 1, False)
    assert "RuntimeError" not in auth.client.get("/admin").get_data(as_text=True)


def test_the_admin_page_is_for_admins_only(auth, customer, client):
    auth.login(customer)
    assert client.get("/admin").status_code == 403


def test_a_job_another_worker_is_running_is_skipped(app, db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's; SQLite serialises writers with BEGIN IMMEDIATE")
    other_worker = sa.create_engine(db.engine.url)
    try:
        with other_worker.begin() as conn:
            held = conn.scalar(
                sa.text("SELECT pg_try_advisory_xact_lock(:ns, hashtext('rides-sweep'))"),
                {"ns": periodic.LOCK_NAMESPACE},
            )
            assert held
            assert periodic.tick("rides-sweep") == "skipped"
            assert periodic.tick("couriers-sweep") == "ok"  # each job has its own lock
            db.session.commit()
        assert periodic.tick("rides-sweep") == "ok"  # released with the other transaction
        db.session.commit()
    finally:
        other_worker.dispose()
    assert db.session.get(JobRun, "rides-sweep").runs == 1
