"""A verified request is overdue when it is not ready by closing time (15:30 WIB) of the next
working day: weekends and public holidays do not count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.documents import services as documents
from portal.documents.models import DocumentStatus
from portal.documents.services.workdays import overdue, ready_due
from tests.documents.conftest import submitted

WIB = ZoneInfo("Asia/Jakarta")


def wib(*args) -> datetime:
    return datetime(*args, tzinfo=WIB).astimezone(UTC)


@pytest.mark.parametrize(
    ("verified", "due"),
    [
        (wib(2026, 12, 1, 10, 0), wib(2026, 12, 2, 15, 30)),  # Tuesday morning -> Wednesday
        (wib(2026, 12, 4, 9, 0), wib(2026, 12, 7, 15, 30)),  # Friday -> Monday, over the weekend
        (wib(2026, 12, 4, 15, 45), wib(2026, 12, 8, 15, 30)),  # Friday after closing -> Tuesday
        (wib(2026, 12, 5, 11, 0), wib(2026, 12, 8, 15, 30)),  # a Saturday counts from Monday
        (wib(2026, 12, 23, 10, 0), wib(2026, 12, 28, 15, 30)),  # Christmas Eve, Christmas, weekend
        (wib(2026, 8, 14, 10, 0), wib(2026, 8, 18, 15, 30)),  # Friday before Independence Day
    ],
)
def test_due_by_closing_time_of_the_next_working_day(app, verified, due):
    assert ready_due(verified) == due


def test_overdue_one_minute_after_closing_on_the_due_day(app):
    friday = wib(2026, 12, 4, 9, 0)
    assert not overdue(DocumentStatus.VERIFIED, friday, wib(2026, 12, 5, 20, 0))  # Saturday: not yet
    assert not overdue(DocumentStatus.VERIFIED, friday, wib(2026, 12, 7, 15, 29))
    assert overdue(DocumentStatus.VERIFIED, friday, wib(2026, 12, 7, 15, 31))
    assert not overdue(DocumentStatus.READY, friday, wib(2026, 12, 9, 9, 0))  # ready is never overdue


def test_the_holiday_list_is_configuration(app):
    app.config["DOCUMENTS_HOLIDAYS"] = "2026-12-07, 2026-12-08"  # a regency's own days off
    assert ready_due(wib(2026, 12, 4, 9, 0)) == wib(2026, 12, 9, 15, 30)
    app.config["DOCUMENTS_MPP_CLOSES"] = "14:00"
    assert ready_due(wib(2026, 12, 4, 9, 0)) == wib(2026, 12, 9, 14, 0)


def test_the_queue_flags_a_request_verified_before_a_weekend_only_after_monday(db, resident, clerk):
    request = submitted(resident)
    documents.verify(request, by=clerk, now=wib(2026, 12, 4, 9, 0))
    monday_noon = wib(2026, 12, 7, 12, 0)
    [row] = documents.queue(now=monday_noon)
    assert not row.overdue and row.due == wib(2026, 12, 7, 15, 30)
    [row] = documents.queue(now=monday_noon + timedelta(hours=4))
    assert row.overdue
