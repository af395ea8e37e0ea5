"""The departures page is the busiest rides page: its queries do not grow with drivers or bookings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from portal.extensions import db as _db
from portal.rides import services as rides
from tests.rides import factories as f


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
def night(app):
    return rides.next_bookable_night() + timedelta(days=2)


def fill(package, night, *, drivers: int, bookings: int) -> None:
    for _ in range(drivers):
        f.available(f.driver(), night)
    for n in range(bookings):
        f.book(f.CustomerFactory(), package, night, address=f"Homestay {n}, Licin", token=f"fill-{n}")


def departures_page(client, package, night) -> tuple[Statements, str]:
    url = f"/rides/{package.slug}?date={night.isoformat()}"
    with Statements() as statements:
        html = client.get(url).get_data(as_text=True)
    return statements, html


def test_the_departures_page_takes_three_queries_however_busy_the_night(client, db, blue_fire, night):
    rides.close_route(
        first_night=night + timedelta(days=3),
        last_night=night + timedelta(days=4),
        reason_en="Maintenance",
        reason_id="Perbaikan",
        by=f.CustomerFactory(),
    )
    fill(blue_fire, night, drivers=1, bookings=0)
    db.session.commit()
    client.set_cookie("lang", "en")
    quiet, html = departures_page(client, blue_fire, night)
    assert "1 seat free" in html

    fill(blue_fire, night, drivers=6, bookings=4)
    db.session.commit()
    busy, html = departures_page(client, blue_fire, night)
    assert "3 seats free" in html
    assert len(busy) == len(quiet) <= 3, busy


def test_a_signed_in_tourist_adds_only_their_own_rows(auth, db, blue_fire, night):
    """Who is signed in, and their place on the waitlist: still flat in drivers and bookings."""
    tourist = f.CustomerFactory()
    fill(blue_fire, night, drivers=1, bookings=1)
    db.session.commit()
    auth.login(tourist)
    quiet, html = departures_page(auth.client, blue_fire, night)
    assert "Join the waitlist" in html

    fill(blue_fire, night, drivers=5, bookings=0)
    db.session.commit()
    busy, html = departures_page(auth.client, blue_fire, night)
    assert "5 seats free" in html
    assert len(busy) == len(quiet)
