"""THE RACE: 200 tourists press "book" at the same instant for the last seat of a night.

Real HTTP requests at the app served on a loopback port by a threaded server, each with its own
logged-in session and CSRF token. Exactly one gets the seat (and only that one is sent to pay);
every other gets a clear "Full — join the waitlist?" and nothing is charged. The same test runs on
SQLite (POST requests BEGIN IMMEDIATE) and on PostgreSQL (the night's row FOR UPDATE) by
setting TEST_DATABASE_URL.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from portal.payments.models import Payment
from portal.rides import services as rides
from portal.rides.models import BookingStatus, RideBooking
from tests.browser.conftest import LiveServer
from tests.factories import DEMO_PASSWORD
from tests.rides import factories as f

pytestmark = pytest.mark.alone  # tests/parallel.py: 200 requests at once

CONTENDERS = 200
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _login(base: str, email: str, path: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
    token = TOKEN.search(client.get("/login").text).group(1)
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.text[:300]
    form_token = TOKEN.search(client.get(path).text).group(1)
    return client, form_token


def test_200_concurrent_bookings_for_the_last_seat_make_exactly_one(app, db):
    # 200 people log in from one test address within seconds.
    app.config.update(LOGIN_RATE_LIMIT="10000 per minute", LOGIN_ADDRESS_RATE_LIMIT="10000 per minute")
    package = f.package()
    night = rides.next_bookable_night() + timedelta(days=1)
    f.available(f.driver(), night)
    # Two drivers, one already booked: the night has exactly one seat left.
    f.available(f.driver(), night)
    earlier = f.CustomerFactory()
    f.book(earlier, package, night, address="Homestay Kawah, Licin", token="first")
    customers = [f.CustomerFactory() for _ in range(CONTENDERS)]
    db.session.commit()
    assert rides.free_seats(night) == 1
    db.session.commit()
    emails = [c.email for c in customers]
    departure = package.active_departures[1].id
    path = f"/rides/{package.slug}?date={night.isoformat()}"

    with LiveServer(app) as server, ThreadPoolExecutor(max_workers=16) as pool:
        sessions = list(pool.map(lambda email: _login(server.url, email, path), emails))
        barrier = threading.Barrier(CONTENDERS)
        results: list[httpx.Response | None] = [None] * CONTENDERS

        def press(i: int) -> None:
            client, token = sessions[i]
            barrier.wait()
            results[i] = client.post(
                "/rides/bookings",
                data={
                    "csrf_token": token,
                    "package": package.slug,
                    "date": night.isoformat(),
                    "departure": str(departure),
                    "pickup_address": f"Homestay {i}, Jl. Ketapang, Banyuwangi",
                    "token": f"race-{i}",
                },
            )

        threads = [threading.Thread(target=press, args=(i,)) for i in range(CONTENDERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=240)
        for client, _token in sessions:
            client.close()

    statuses = sorted(r.status_code for r in results if r is not None)
    assert len(statuses) == CONTENDERS
    winners = [r for r in results if r.status_code in (302, 303)]
    losers = [r for r in results if r.status_code == 409]
    assert len(winners) == 1, (
        Counter(statuses),
        [r.text[:2000] for r in results if r.status_code not in (302, 303, 409)][:1],
    )
    assert len(losers) == CONTENDERS - 1, (
        Counter(statuses),
        [r.text[:2000] for r in results if r.status_code not in (302, 303, 409)][:1],
    )
    for response in losers:
        assert "Full: every driver is booked" in response.text
        assert "Join the waitlist" in response.text

    db.session.commit()  # end the test's read snapshot: see what the requests wrote
    booked = db.session.scalars(
        select(RideBooking).where(RideBooking.night == night, RideBooking.customer_id != earlier.id)
    ).all()
    assert len(booked) == 1 and booked[0].state == BookingStatus.AWAITING_PAYMENT
    drivers = db.session.scalars(select(RideBooking.driver_id).where(RideBooking.night == night)).all()
    assert len(set(drivers)) == 2  # each driver holds one ride
    # No charge for anyone who lost: one payment at most, and it is the winner's.
    payments = db.session.scalars(select(Payment).where(Payment.payable_type == "ride_booking")).all()
    assert [p.payable_id for p in payments] == [booked[0].id]
    assert (
        db.session.scalar(select(func.count(Payment.id)).where(Payment.customer_id.in_([c.id for c in customers]))) <= 1
    )
