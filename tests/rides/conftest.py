from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from portal.formatting import WIB
from tests.rides import factories as f

# A fixed "now" for service tests: Thursday 10 December 2026, 10:00 WIB.
NOW = datetime(2026, 12, 10, 10, 0, tzinfo=WIB)
NIGHT = date(2026, 12, 14)  # blue fire pick-up 00:30 on 15 December


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def blue_fire(db):
    package = f.package()
    db.session.commit()
    return package


def later(minutes: int = 0, hours: int = 0, days: int = 0) -> datetime:
    return NOW + timedelta(minutes=minutes, hours=hours, days=days)


@pytest.fixture(autouse=True)
def english(app):
    """Service messages are lazy and render in the reader's language: read them as a tourist would."""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield
