"""Ijen booking under contention: N tourists press "book" at the same instant.

    python bench/rides.py                  # SQLite file in a temp folder
    python bench/rides.py --database postgresql://postgres@127.0.0.1:5432/postgres

Self-contained: builds a fresh database by the migrations, starts its own localstripe and serves
the app on a loopback port (threaded werkzeug), logs every tourist in (not timed), then fires all
booking POSTs at once from as many threads. Reports throughput (answered requests per second of
wall time) and latency percentiles, for the last seat (1 seat, every other request refused) and
for a night with plenty of seats. bench/run.py can call `bench()` and print its rows.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def _fresh_database(url: str | None, folder: str) -> tuple[str, callable]:
    import sqlalchemy as sa

    from portal.config import database_url

    if not url or url.startswith("sqlite"):
        return f"sqlite:///{folder}/bench.db", lambda: None
    url = database_url(url)
    parts = urlsplit(url)
    name = f"gancang_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(urlunsplit(parts._replace(path="/postgres")), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return urlunsplit(parts._replace(path=f"/{name}")), drop


def scenario(app, server_url: str, *, contenders: int, seats: int, label: str, nights_ahead: int) -> dict:
    import httpx

    from portal.extensions import db
    from portal.rides import services as rides
    from tests.factories import DEMO_PASSWORD
    from tests.rides import factories as f

    with app.app_context(), app.test_request_context():
        package = rides.package_by_slug("blue-fire") or f.package()
        night = rides.next_bookable_night() + timedelta(days=nights_ahead)
        for _ in range(seats):
            f.available(f.driver(), night)
        customers = [f.CustomerFactory() for _ in range(contenders)]
        db.session.commit()
        emails = [c.email for c in customers]
        departure = package.active_departures[0].id
        slug = package.slug
        db.session.remove()

    path = f"/rides/{slug}?date={night.isoformat()}"

    def login(email: str):
        client = httpx.Client(base_url=server_url, timeout=120, follow_redirects=False)
        token = TOKEN.search(client.get("/login").text).group(1)
        client.post("/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token})
        return client, TOKEN.search(client.get(path).text).group(1)

    with ThreadPoolExecutor(max_workers=16) as pool:
        sessions = list(pool.map(login, emails))
    barrier = threading.Barrier(contenders + 1)
    latencies: list[float] = [0.0] * contenders
    codes: list[int] = [0] * contenders

    def press(i: int) -> None:
        client, token = sessions[i]
        barrier.wait()
        started = time.perf_counter()
        response = client.post(
            "/rides/bookings",
            data={
                "csrf_token": token,
                "package": slug,
                "date": night.isoformat(),
                "departure": str(departure),
                "pickup_address": f"Homestay {i}, Banyuwangi",
                "token": f"bench-{i}",
            },
        )
        latencies[i] = time.perf_counter() - started
        codes[i] = response.status_code

    threads = [threading.Thread(target=press, args=(i,)) for i in range(contenders)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    for client, _token in sessions:
        client.close()
    booked = sum(1 for code in codes if code in (302, 303))
    full = sum(1 for code in codes if code == 409)
    return {
        "scenario": label,
        "requests": contenders,
        "seats": seats,
        "booked": booked,
        "full": full,
        "other": contenders - booked - full,
        "wall_s": round(wall, 3),
        "throughput_rps": round(contenders / wall, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(_percentile(latencies, 95) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
    }


def bench(*, contenders: int = 200, database: str | None = None) -> list[dict]:
    """Run both scenarios; returns one dict of figures per scenario."""
    from flask_migrate import upgrade

    from portal import create_app
    from portal.config import TestingConfig
    from tests.browser.conftest import LiveServer
    from tests.payments_fixtures import LocalStripe

    folder = tempfile.mkdtemp(prefix="gancang-bench-rides-")
    url, drop = _fresh_database(database, folder)
    stripe = LocalStripe()
    try:
        config = TestingConfig()
        config.SQLALCHEMY_DATABASE_URI = url
        app = create_app(config)
        app.config.update(stripe.config)
        app.config.update(
            LOGIN_RATE_LIMIT="100000 per minute",
            LOGIN_ADDRESS_RATE_LIMIT="100000 per minute",
            PROPAGATE_TEST_ERRORS=False,
            NOTIFY_BACKEND="log",
            JOBS_RAISE=False,
        )
        with app.app_context():
            upgrade(revision="heads")
        rows = []
        with LiveServer(app) as server:
            rows.append(scenario(app, server.url, contenders=contenders, seats=1, label="last seat", nights_ahead=1))
            rows.append(scenario(app, server.url, contenders=contenders, seats=50, label="50 seats", nights_ahead=2))
        with app.app_context():
            from portal.extensions import db

            db.engine.dispose()
        return rows
    finally:
        stripe.stop()
        drop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contenders", type=int, default=200)
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()
    import logging

    logging.disable(logging.WARNING)
    rows = bench(contenders=args.contenders, database=args.database)
    engine = "PostgreSQL" if args.database and not args.database.startswith("sqlite") else "SQLite"
    print(f"\nIjen booking race ({engine}, threaded werkzeug on loopback, {args.contenders} simultaneous POSTs)")
    print(
        f"{'scenario':<12}{'seats':>6}{'booked':>8}{'full':>6}{'other':>7}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
    )
    for row in rows:
        print(
            f"{row['scenario']:<12}{row['seats']:>6}{row['booked']:>8}{row['full']:>6}{row['other']:>7}"
            f"{row['throughput_rps']:>8}{row['p50_ms']:>9}{row['p95_ms']:>9}{row['max_ms']:>9}"
        )
    ok = all(row["booked"] == min(row["seats"], row["requests"]) and row["other"] == 0 for row in rows)
    print("exactly one booking per seat: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
