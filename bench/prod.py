"""`make bench-prod`: the busy-evening Locust profile (bench/locustfile.py) against the production
topology (portal/ops/topology.py: HAProxy + 2 web nodes + 2 RQ workers + the scheduler) on
PostgreSQL and Redis, in steps of simultaneous users.

1. A PostgreSQL database (BENCH_PROD_DATABASE_URL, default gancang_bench_prod on the local
   server), migrated and seeded once (`--fresh` rebuilds): the demo data, 40 warungs of 30
   dishes with their owners, 300 tourists, 20 drivers on trail bikes offering the next nights,
   and 100 food orders on their way (for the tracking pages).
2. The topology against it and BENCH_PROD_REDIS_URL (default REDIS_URL).
3. Locust, headless, from its own venv (bench/.venv-locust), once per step (`--users 25 50 …`),
   each step `--seconds` long after its ramp-up; per route: req/s, p50/p95/p99, failures. CPU
   seconds of every process (HAProxy, each web node, workers, scheduler, PostgreSQL, Redis,
   Locust itself) per step, read with psutil, and the machine's load average beside them.
4. Reports the highest step whose p95 stays under 300 ms with no failure; stops once the
   topology is saturated (p95 over 5 s or 5 % failures). Prints a table and writes
   bench/results-prod.json; docs/capacity.md carries the figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))

from portal.ops.topology import Topology  # noqa: E402 - importable once ROOT is on the path

LOCUST = BENCH / ".venv-locust" / "bin" / "locust"
PASSWORD = "bench-password"  # noqa: S105 - throwaway benchmark accounts
TOURISTS, OWNERS, DRIVERS, LIVE_ORDERS = 300, 40, 20, 100
P95_LIMIT_MS = 300
SATURATED_P95_MS = 5000


def database_url() -> str:
    return os.environ.get("BENCH_PROD_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/gancang_bench_prod"


def ensure_database(url: str, fresh: bool) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = sa.create_engine(urlunsplit(parts._replace(path="/postgres")), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists and fresh:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = False
        if not exists:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()


def seed(url: str) -> None:
    """Migrate, then seed once through the app's own models and services (development settings,
    inline jobs: the environment is put back afterwards, for the topology)."""
    saved = dict(os.environ)
    os.environ.update(GANCANG_ENV="development", DATABASE_URL=url, REDIS_URL="", NOTIFY_BACKEND="memory")
    try:
        _seed()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _seed() -> None:
    # Imported here: the app reads DATABASE_URL, set by seed() just before.
    from flask_migrate import upgrade
    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    from portal import create_app
    from portal.accounts.models import Role, User
    from portal.cli import seed_all
    from portal.couriers.models import DriverProfile, DriverStatus, Vehicle
    from portal.database import utcnow
    from portal.extensions import db, limiter
    from portal.food import services as food
    from portal.rides import services as rides
    from tests.factories import UserFactory
    from tests.food.factories import DishFactory, WarungFactory

    app = create_app()
    limiter.enabled = False
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        if db.session.scalar(select(User.id).where(User.email == "tourist0@bench.example")):
            print("  benchmark data already there (--fresh rebuilds it)")
            return
        started = time.perf_counter()
        seed_all()
        password = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        names = ["Sego Tempong", "Rujak Soto", "Pecel Rawon", "Nasi Cawuk", "Pindang Koyong", "Ayam Pedas"]
        warungs = []
        for i in range(OWNERS):
            owner = UserFactory(email=f"owner{i}@bench.example", password_hash=password, roles=[Role.OWNER])
            warung = WarungFactory(owner=owner, name=f"Warung {names[i % len(names)]} {i}", slug=f"bench-{i}")
            dishes = [
                DishFactory(warung=warung, name=f"{names[(i + k) % len(names)]} {k}", price=8000 + 1000 * (k % 20))
                for k in range(30)
            ]
            warungs.append((warung.id, owner.id, [dish.id for dish in dishes]))
        tourists = [
            UserFactory(email=f"tourist{i}@bench.example", password_hash=password, locale=("en", "id")[i % 2])
            for i in range(TOURISTS)
        ]
        first = rides.tonight()
        for i in range(DRIVERS):
            driver = UserFactory(email=f"driver{i}@bench.example", password_hash=password, roles=[Role.DRIVER])
            profile = DriverProfile(
                user_id=driver.id,
                ktp_address="Jl. Ahmad Yani 12, Banyuwangi",
                vehicle=Vehicle.TRAIL,
                plate=f"P {1000 + i} BW",
                languages="id,en",
                status=DriverStatus.VERIFIED,
                online=True,
                verified_at=utcnow(),
            )
            profile.set_nik(f"351001120885{5000 + i:04d}")  # past the demo drivers' numbers
            db.session.add(profile)
            db.session.flush()
            for n in range(1, 8):
                rides.set_availability(driver, first + timedelta(days=n), True)
        db.session.commit()
        place = {"address": "Homestay Kemiren", "lat": -8.2127, "lng": 114.3204, "note": ""}
        tourist_ids = [tourist.id for tourist in tourists]
        for i in range(LIVE_ORDERS):
            warung_id, owner_id, dish_ids = warungs[i % OWNERS]
            customer = db.session.get(User, tourist_ids[i])
            with app.test_request_context():
                food.add_to_cart(customer, dish_ids[i % 30], 1)
                total = food.price_checkout(customer, warung_id, **place).total
                order = food.place_order(
                    customer, warung_id, key=f"bench-prod-{i}", payment_method="cash", expected_total=total, **place
                )
                db.session.commit()
                food.accept_order(order, by=db.session.get(User, owner_id))
                db.session.commit()
        print(f"  seeded in {time.perf_counter() - started:.0f} s")


def process_groups(topology: Topology) -> dict[str, list[psutil.Process]]:
    """Every process to measure, by role: each node's whole tree, the services by name."""
    groups: dict[str, list[psutil.Process]] = {}
    for name, proc in topology.procs.items():
        try:
            parent = psutil.Process(proc.pid)
            groups[name] = [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
    # PostgreSQL: only the backends serving this database (the server is shared with others);
    # Redis is one process for every client on this machine, so its figure is an upper bound.
    database = urlsplit(topology.database_url).path.lstrip("/")
    groups["postgresql"] = [
        p
        for p in psutil.process_iter(["name", "cmdline"])
        if database in " ".join(p.info["cmdline"] or []) and (p.info["name"] or "").startswith("postgres")
    ]
    groups["redis"] = [p for p in psutil.process_iter(["name"]) if p.info["name"] == "redis-server"]
    return groups


def cpu_seconds(groups: dict[str, list[psutil.Process]], topology: Topology) -> dict[str, float]:
    """CPU seconds so far per role (children that come and go, RQ's work horses, included as
    far as their parent has reaped them)."""
    totals = {}
    fresh = process_groups(topology)
    for role in set(groups) | set(fresh):
        seen: dict[int, float] = {}
        for proc in groups.get(role, []) + fresh.get(role, []):
            try:
                times = proc.cpu_times()
                seen[proc.pid] = times.user + times.system + times.children_user + times.children_system
            except (psutil.NoSuchProcess, psutil.ZombieProcess):
                continue
        totals[role] = sum(seen.values())
    return totals


def run_locust(topology: Topology, users: int, seconds: int, folder: Path) -> tuple[list[dict], float]:
    """One headless Locust run; its per-route rows and its own CPU seconds."""
    prefix = folder / f"u{users}"
    env = {
        **os.environ,
        "BENCH_CA_FILE": str(topology.log_dir / "lb.crt"),  # trust the topology's certificate
        "BENCH_PASSWORD": PASSWORD,
        "BENCH_TOURISTS": str(TOURISTS),
        "BENCH_OWNERS": str(OWNERS),
        "BENCH_DRIVERS": str(DRIVERS),
    }
    spawn_rate = max(5, users // 5)
    ramp = users / spawn_rate
    command = [
        str(LOCUST),
        "-f",
        str(BENCH / "locustfile.py"),
        "--headless",
        "--host",
        topology.url,
        "--users",
        str(users),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        f"{int(seconds + ramp + 2)}s",
        "--reset-stats",  # figures from the full user count on, not the ramp
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    locust = subprocess.Popen(command, env=env, cwd=BENCH, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    handle = psutil.Process(locust.pid)
    cpu = 0.0
    while locust.poll() is None:
        try:
            times = handle.cpu_times()
            cpu = times.user + times.system
        except psutil.NoSuchProcess:
            break
        time.sleep(0.5)
    _, stderr = locust.communicate()
    stats = prefix.with_name(prefix.name + "_stats.csv")
    if not stats.exists():
        raise SystemExit(f"Locust wrote no statistics: {stderr.decode()[-2000:]}")
    with stats.open() as fh:
        rows = list(csv.DictReader(fh))
    return rows, cpu


def summarise(rows: list[dict]) -> list[dict]:
    table = []
    for row in rows:
        table.append(
            {
                "route": f"{row['Type']} {row['Name']}".strip() if row["Name"] != "Aggregated" else "all",
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": round(float(row["Requests/s"]), 1),
                "p50": float(row["50%"] or 0),
                "p95": float(row["95%"] or 0),
                "p99": float(row["99%"] or 0),
            }
        )
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[25, 50, 100, 150, 200, 300])
    parser.add_argument("--seconds", type=int, default=45, help="measured seconds per step")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes per web node")
    args = parser.parse_args()
    if not LOCUST.exists():
        raise SystemExit("Locust is missing: run `make bench-prod` (it makes bench/.venv-locust)")
    url = database_url()
    redis_url = os.environ.get("BENCH_PROD_REDIS_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    print(f"--- database {url}, Redis {redis_url}")
    ensure_database(url, args.fresh)
    seed(url)
    folder = BENCH / "locust-results"
    folder.mkdir(exist_ok=True)
    # PROXY_HOPS=2: each simulated phone's X-Forwarded-For counts as its address (locustfile.py).
    env = {"GANCANG_ENV": "production", "PROXY_HOPS": "2", "GUNICORN_ACCESSLOG": "", "NOTIFY_BACKEND": "log"}
    steps = []
    with Topology(url, redis_url, webs=2, workers=2, web_workers=args.web_workers, env=env) as topology:
        print(f"--- topology up at {topology.url} (logs {topology.log_dir})")
        groups = process_groups(topology)
        for users in args.users:
            before, wall = cpu_seconds(groups, topology), time.monotonic()
            load_before = os.getloadavg()
            rows, locust_cpu = run_locust(topology, users, args.seconds, folder)
            elapsed = time.monotonic() - wall
            after = cpu_seconds(groups, topology)
            cpu = {role: round((after[role] - before.get(role, 0.0)) / elapsed, 2) for role in after}
            cpu["locust"] = round(locust_cpu / elapsed, 2)
            table = summarise(rows)
            total = next(r for r in table if r["route"] == "all")
            step = {
                "users": users,
                "routes": table,
                "cores_used": cpu,
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "load_average_before": [round(x, 2) for x in load_before],
                "ok": total["p95"] < P95_LIMIT_MS and total["failures"] == 0,
            }
            steps.append(step)
            print(
                f"  {users:>4} users: {total['rps']:>6.1f} req/s  p50 {total['p50']:.0f}  p95 {total['p95']:.0f}  "
                f"p99 {total['p99']:.0f} ms  failures {total['failures']}  load {step['load_average'][0]}",
                flush=True,
            )
            if total["failures"] > total["requests"] * 0.05 or total["p95"] > SATURATED_P95_MS:
                break  # saturated: more users only queue
    held = [s["users"] for s in steps if s["ok"]]
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "highest_users_p95_under_300ms_no_errors": max(held) if held else None,
        "steps": steps,
    }
    (BENCH / "results-prod.json").write_text(json.dumps(result, indent=2))
    print_report(result)
    return 0


def print_report(result: dict) -> None:
    for step in result["steps"]:
        print(f"\n### {step['users']} users (load average {step['load_average']})\n")
        print("| route | req/s | p50 ms | p95 ms | p99 ms | failures |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for r in sorted(step["routes"], key=lambda r: (r["route"] == "all", -r["rps"])):
            print(f"| {r['route']} | {r['rps']} | {r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} | {r['failures']} |")
        cores = ", ".join(f"{k} {v}" for k, v in sorted(step["cores_used"].items(), key=lambda kv: -kv[1]))
        print(f"\ncores used: {cores}")
    print(f"\nhighest user count with p95 < 300 ms and no errors: {result['highest_users_p95_under_300ms_no_errors']}")


if __name__ == "__main__":
    sys.exit(main())
