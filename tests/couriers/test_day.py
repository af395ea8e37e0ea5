"""The courier's day at a glance: jobs and fees today and this week (WIB days, weeks from Monday),
and what the workspace costs in queries. The cash a courier holds for warungs is food's: its
tests are in tests/food/test_cash_handover.py."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from portal.couriers import services
from portal.couriers.contract import Job
from portal.couriers.models import Delivery, DeliveryStatus
from portal.extensions import db as _db
from tests.couriers.factories import make_job, requested

S = DeliveryStatus
# GET /courier: the session (with its user), the driver profile, open jobs, my jobs, the week's
# deliveries, food's courier ratings, food's cash taken and handed over today. The day costs three of
# them, whatever the week held.
PINNED = 8  # the layout (app shell) adds one: the cart and unread counts, in one query
# Wednesday 9 Dec 2026, 08:00 WIB (01:00 UTC).
WEDNESDAY_MORNING = datetime(2026, 12, 9, 1, 0, tzinfo=UTC)
_origins = itertools.count(500)


def delivered(customer, driver, at: datetime, *, job: Job | None = None) -> Delivery:
    delivery = requested(customer, job or make_job(), origin_id=next(_origins))
    services.accept_job(delivery, driver=driver, now=at - timedelta(minutes=30))
    services.mark(delivery, S.PICKED_UP, by=driver, now=at - timedelta(minutes=20))
    services.mark(delivery, S.DELIVERED, by=driver, now=at)
    _db.session.commit()
    return delivery


def test_today_and_this_week_follow_wib_days_and_mondays(db, customer, driver):
    # 23:30 WIB on Tuesday (16:30 UTC): this week, not today; 00:30 WIB on Wednesday is still
    # Tuesday in UTC (17:30), yet today.
    tuesday_night = datetime(2026, 12, 8, 16, 30, tzinfo=UTC)
    wednesday_early = datetime(2026, 12, 8, 17, 30, tzinfo=UTC)
    sunday = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)  # last week (weeks start on Monday, WIB)
    monday_first_minute = datetime(2026, 12, 6, 17, 1, tzinfo=UTC)  # Mon 00:01 WIB
    jobs = [delivered(customer, driver, at) for at in (tuesday_night, wednesday_early, sunday, monday_first_minute)]
    fee = jobs[0].fee
    day = services.day_at_a_glance(driver, now=WEDNESDAY_MORNING)
    assert (day.today_jobs, day.today_fees) == (1, fee)
    assert (day.week_jobs, day.week_fees) == (3, 3 * fee)
    assert day.cash == [] and day.ratings == 0 and day.average_rating is None


class Statements(list):
    def __call__(self, conn, cursor, statement, *args) -> None:
        if not statement.startswith("BEGIN"):
            self.append(statement)


def workspace_queries(client) -> Statements:
    statements = Statements()
    event.listen(_db.engine, "before_cursor_execute", statements)
    try:
        page = client.get("/courier")
    finally:
        event.remove(_db.engine, "before_cursor_execute", statements)
    assert page.status_code == 200
    return statements


def test_the_workspace_shows_the_day_in_a_fixed_number_of_queries(db, client, auth, customer, driver):
    now = datetime.now(UTC)
    delivered(customer, driver, now)
    auth.login(driver)
    html = client.get("/courier").get_data(as_text=True)
    assert "Your day" in html and "1 job" in html
    few = workspace_queries(client)
    for _ in range(8):
        delivered(customer, driver, now)
    many = workspace_queries(client)
    assert len(many) == len(few), "\n".join(s[:80] for s in many)
    assert len(many) == PINNED, "\n".join(s[:80] for s in many)
