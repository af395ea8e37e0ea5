from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.food.factories import DishFactory, WarungFactory

# Tuesday 24 Nov 2026, 12:00 WIB
NOON = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return tmp_path / "uploads"


@pytest.fixture
def warung(db):
    warung = WarungFactory()
    db.session.commit()
    return warung


@pytest.fixture
def dishes(db, warung):
    made = [
        DishFactory(warung=warung, name="Rujak Soto", price=25000),
        DishFactory(warung=warung, name="Sego Tempong", price=22000),
        DishFactory(warung=warung, name="Es Temulawak", price=8000, category="Minuman"),
    ]
    db.session.commit()
    return made


@pytest.fixture
def owner(warung):
    return warung.owner


@pytest.fixture(autouse=True)
def request_context(app):
    """Services build URLs and translated messages, as they do inside a request."""
    with app.test_request_context():
        yield
