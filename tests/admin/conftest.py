from __future__ import annotations

import pytest
from sqlalchemy import event

from portal.extensions import db as _db


class Statements(list):
    """The SQL statements run while the block runs (SQLite's BEGIN is not a query)."""

    def __call__(self, conn, cursor, statement, *args) -> None:
        if not statement.startswith("BEGIN"):
            self.append(statement)

    def __enter__(self) -> Statements:
        event.listen(_db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(_db.engine, "before_cursor_execute", self)


@pytest.fixture
def request_context(app):
    """Building the board formats dates and labels: that needs a locale, which needs a request."""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield
