"""`make bench`: how the food pages hold up against a bare Flask route, under gunicorn and wrk.

1. Seeds a benchmark database (bench/bench.db, or BENCH_DATABASE_URL) once: 500 warungs,
   20,000 dishes (one warung has exactly 60), 100,000 past orders with their items and events,
   written with bulk inserts. `--fresh` rebuilds it.
2. Prepares live state through the app itself: signed-in customers (session cookies + CSRF
   tokens), one order that a courier is bringing (for the tracking poll), and a signed-in admin
   for the regency dashboard over the last 30 WIB days (issue 21; no target ratio).
3. Starts gunicorn (BENCH=1 adds /bench/baseline) and drives each route with wrk, each right
   after the baseline so both see the same machine, and prints req/s, p50/p95/p99 and the ratio.
   Results go to bench/results.json.

Needs `wrk` (Debian/Ubuntu: `apt-get install -y wrk`; macOS: `brew install wrk`).
Options: --duration SECONDS per run (default 5), --rounds N (default 3, median ratio reported),
--connections N (default 16), --workers N (default: CPUs), --only ROUTE…, --fresh.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))

WARUNGS = 500
DISHES = 20_000
ORDERS = 100_000
CUSTOMERS = 200
SESSIONS = 20  # signed-in customers the add-to-cart run rotates through
PASSWORD = "bench-password"  # noqa: S105 - a throwaway benchmark account
MENU_SLUG = "bench-menu-60"
# A browser sends the same User-Agent at login and afterwards. Flask-Login's session protection
# compares it (with the address) on every request: were wrk's differ from the login's, every
# request would mark the session not fresh and re-sign a cookie, which no real visitor pays.
USER_AGENT = "gancang-bench/1"
TARGETS = {
    "warung_list": None,
    "menu_60": 0.30,
    "menu_60_cart": None,
    "add_to_cart": 0.50,
    "tracking_304": 0.70,
    "dashboard_30d": None,
}
# A page that takes seconds, not milliseconds: one connection per worker (16 would queue each
# request behind seven others, past wrk's timeout, and the abandoned ones would keep the workers
# busy into the next baseline run) and a wrk timeout it cannot reach.
HEAVY = {"dashboard_30d": {"connections": 2, "timeout": 60}}
SHOPPER = f"customer{SESSIONS}@bench.example"  # browses the menu with 3 dishes in the cart
ADMIN = "admin@bench.example"  # opens the regency dashboard
DASHBOARD_30D = "/admin/dashboard?period=30d"

ENV = {
    "GANCANG_ENV": "production",
    "SECRET_KEY": "bench-secret-key-not-for-production",
    "DATA_KEY": "YmVuY2gtZGF0YS1rZXktbm90LXNlY3JldC0xMjM0NTY=",
    "BENCH": "1",
    "NOTIFY_BACKEND": "log",
    "JOBS_MODE": "inline",  # the benchmark places one order itself; no worker needed
    "PUBLIC_URL": "http://127.0.0.1",
    # Production wants Redis (rate-limit storage); nothing in the measured routes uses it.
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3"),
    # Cash orders only: the payment module needs its settings, never reaches Stripe here.
    "STRIPE_API_BASE": "http://127.0.0.1:9",
    "STRIPE_SECRET_KEY": "sk_test_bench",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_bench",
    "STRIPE_WEBHOOK_SECRET": "whsec_bench",
}


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{BENCH / 'bench.db'}"


def make_app():
    os.environ.update(ENV)
    os.environ["DATABASE_URL"] = database_url()
    os.environ.setdefault("UPLOAD_DIR", str(BENCH / "uploads"))
    from portal import create_app

    app = create_app()
    # The in-process client speaks plain http, as wrk does to gunicorn.
    app.config["SESSION_COOKIE_SECURE"] = False
    app.config["PREFERRED_URL_SCHEME"] = "http"
    from portal.extensions import limiter

    limiter.enabled = False  # the preparation signs in 20 customers within a second
    return app


# ---------------------------------------------------------------------------------------------
# 1. Seed


def seed(app, fresh: bool) -> dict:
    from flask_migrate import upgrade
    from sqlalchemy import func, insert, select, update

    from portal.accounts.models import Role, User, UserRole
    from portal.extensions import db
    from portal.food.models import Dish, FoodOrder, FoodOrderEvent, FoodOrderItem, OpeningPeriod, Warung

    url = database_url()
    if fresh and url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        if db.session.scalar(select(func.count(FoodOrder.id))) >= ORDERS:
            print("  benchmark data already there (use --fresh to rebuild)")
            return counts(db)
        started = time.perf_counter()
        rng = random.Random(5)
        from werkzeug.security import generate_password_hash

        password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        now = datetime.now(UTC)
        users = [
            {
                "name": f"Pemilik {i}",
                "email": f"owner{i}@bench.example",
                "phone": f"+62811{i:08d}",
                "password_hash": password_hash,
                "created_at": now,
            }
            for i in range(WARUNGS)
        ] + [
            {
                "name": f"Tamu {i}",
                "email": f"customer{i}@bench.example",
                "phone": f"+62812{i:08d}",
                "password_hash": password_hash,
                "locale": "en",
                "created_at": now,
            }
            for i in range(CUSTOMERS)
        ]
        db.session.execute(insert(User), users)
        ids = dict(db.session.execute(select(User.email, User.id)).all())
        db.session.execute(
            insert(UserRole),
            [
                {"user_id": ids[f"owner{i}@bench.example"], "role": Role.OWNER.value, "granted_at": now}
                for i in range(WARUNGS)
            ],
        )
        names = [
            "Sego Tempong",
            "Rujak Soto",
            "Pecel Rawon",
            "Nasi Cawuk",
            "Pindang Koyong",
            "Ayam Pedas",
            "Bakso",
            "Kue Bagiak",
        ]
        warungs = []
        for i in range(WARUNGS):
            warungs.append(
                {
                    "owner_id": ids[f"owner{i}@bench.example"],
                    "slug": MENU_SLUG if i == 0 else f"bench-warung-{i}",
                    "name": f"Warung {names[i % len(names)]} {i}",
                    "description": "Masakan khas Banyuwangi",
                    "address": f"Jl. Bench {i}, Banyuwangi",
                    "lat": -8.2 - rng.random() * 0.2,
                    "lng": 114.3 + rng.random() * 0.1,
                    "phone": f"+62811{i:08d}",
                    "photo": "benchphoto",
                    "status": "verified",
                    "reject_reason": "",
                    "verified_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        db.session.execute(insert(Warung), warungs)
        warung_ids = dict(db.session.execute(select(Warung.slug, Warung.id)).all())
        wid = [warung_ids[w["slug"]] for w in warungs]
        periods = []
        for n, warung_id in enumerate(wid):
            for day in range(7):
                if n % 5 == 4:  # some keep ordinary hours, so "open first" has work to do
                    periods += [
                        {"warung_id": warung_id, "weekday": day, "opens": 7 * 60, "closes": 14 * 60},
                        {"warung_id": warung_id, "weekday": day, "opens": 17 * 60, "closes": 2 * 60},
                    ]
                else:
                    periods.append({"warung_id": warung_id, "weekday": day, "opens": 0, "closes": 0})
        db.session.execute(insert(OpeningPeriod), periods)
        dishes = []
        per_other = (DISHES - 60) // (WARUNGS - 1)
        extra = (DISHES - 60) - per_other * (WARUNGS - 1)
        for n, warung_id in enumerate(wid):
            count = 60 if n == 0 else per_other + (1 if n <= extra else 0)
            for k in range(count):
                dishes.append(
                    {
                        "warung_id": warung_id,
                        "name": f"{names[(n + k) % len(names)]} {k}",
                        "name_en": f"Dish {k}",
                        "description": "Pedas, segar, dimasak pagi ini.",
                        "description_en": "Spicy, fresh, cooked this morning.",
                        "price": 5000 + 1000 * rng.randint(0, 40),
                        "category": ["Nasi", "Lauk", "Minuman", "Jajanan"][k % 4],
                        "photo": "benchphoto",
                        "position": k,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        db.session.execute(insert(Dish), dishes)
        dish_rows = db.session.execute(select(Dish.id, Dish.warung_id, Dish.name, Dish.price)).all()
        by_warung: dict[int, list] = {}
        for row in dish_rows:
            by_warung.setdefault(row.warung_id, []).append(row)
        customers = [ids[f"customer{i}@bench.example"] for i in range(CUSTOMERS)]
        batch = 10_000
        for start in range(0, ORDERS, batch):
            orders, plan = [], []
            for k in range(start, min(start + batch, ORDERS)):
                warung_id = wid[rng.randrange(WARUNGS)]
                dish = rng.choice(by_warung[warung_id])
                quantity = rng.randint(1, 3)
                at = now - timedelta(days=rng.randint(1, 365), minutes=rng.randint(0, 1440))
                subtotal = dish.price * quantity
                orders.append(
                    {
                        "idempotency_key": f"bench-{k}",
                        "customer_id": customers[k % CUSTOMERS],
                        "warung_id": warung_id,
                        "status": "delivered",
                        "address": "Homestay Kemiren",
                        "lat": -8.2127,
                        "lng": 114.3204,
                        "note": "",
                        "payment_method": "cash" if k % 3 else "card",
                        "subtotal": subtotal,
                        "delivery_fee": 10000,
                        "total": subtotal + 10000,
                        "courier_provider": "local",
                        "reason": "",
                        "rating_comment": "",
                        "rating_warung": rng.choice([None, 4, 5]),
                        "created_at": at,
                        "updated_at": at,
                        "placed_at": at,
                    }
                )
                plan.append((dish, quantity, at))
            db.session.execute(insert(FoodOrder), orders)
            keys = [o["idempotency_key"] for o in orders]
            order_ids = dict(
                db.session.execute(
                    select(FoodOrder.idempotency_key, FoodOrder.id).where(FoodOrder.idempotency_key.in_(keys))
                ).all()
            )
            items, events = [], []
            for key, (dish, quantity, at) in zip(keys, plan, strict=True):
                order_id = order_ids[key]
                items.append(
                    {
                        "order_id": order_id,
                        "dish_id": dish.id,
                        "name": dish.name,
                        "price": dish.price,
                        "quantity": quantity,
                    }
                )
                events.append({"order_id": order_id, "status": "delivered", "note": "", "at": at})
            db.session.execute(insert(FoodOrderItem), items)
            db.session.execute(insert(FoodOrderEvent), events)
            db.session.commit()
        # The warungs' rating counters, as rate_order would have kept them.
        stars = (
            select(
                FoodOrder.warung_id,
                func.sum(FoodOrder.rating_warung).label("total"),
                func.count(FoodOrder.rating_warung).label("n"),
            )
            .group_by(FoodOrder.warung_id)
            .subquery()
        )
        db.session.execute(
            update(Warung)
            .where(Warung.id == stars.c.warung_id)
            .values(rating_total=func.coalesce(stars.c.total, 0), rating_count=stars.c.n)
        )
        db.session.commit()
        print(f"  seeded in {time.perf_counter() - started:.1f} s")
        return counts(db)


def counts(db) -> dict:
    from sqlalchemy import func, select

    from portal.food.models import Dish, FoodOrder, Warung

    return {
        "warungs": db.session.scalar(select(func.count(Warung.id))),
        "dishes": db.session.scalar(select(func.count(Dish.id))),
        "orders": db.session.scalar(select(func.count(FoodOrder.id))),
        "database": database_url().split("://")[0],
    }


# ---------------------------------------------------------------------------------------------
# 2. Live state: sessions and one order on its way


def signed_in(app, email: str) -> tuple[str, str]:
    """(Cookie header, X-CSRFToken) of a fresh browser session for `email`."""
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, f"bench login failed for {email}"
    html = client.get(f"/warungs/{MENU_SLUG}").get_data(as_text=True)
    csrf = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    cookie = client.get_cookie("session")
    return f"session={cookie.value}", csrf


def prepare(app) -> dict:
    from sqlalchemy import delete, select
    from werkzeug.security import generate_password_hash

    from portal.accounts.models import Role, User, UserRole
    from portal.extensions import db
    from portal.food import services as food
    from portal.food.models import CartItem, Dish, FoodOrder, Warung

    with app.app_context():  # the admin is live state, not seed: a database seeded before it gets one too
        if db.session.scalar(select(User.id).where(User.email == ADMIN)) is None:
            admin = User(
                name="Admin Bench",
                email=ADMIN,
                phone="+6281399999999",
                password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
                locale="en",
            )
            admin.roles.append(UserRole(role=Role.ADMIN.value))
            db.session.add(admin)
            db.session.commit()
    # Outside any app context: each request gets its own, as on the server.
    sessions = [signed_in(app, f"customer{i}@bench.example") for i in range(SESSIONS)]
    shopper = signed_in(app, SHOPPER)
    admin_session = signed_in(app, ADMIN)
    with app.app_context():
        db.session.execute(delete(CartItem))
        db.session.commit()
        menu = db.session.scalar(select(Warung).where(Warung.slug == MENU_SLUG))
        dish_ids = list(db.session.scalars(select(Dish.id).where(Dish.warung_id == menu.id).order_by(Dish.position)))
        customer = db.session.scalar(select(User).where(User.email == "customer0@bench.example"))
        order = db.session.scalar(select(FoodOrder).where(FoodOrder.idempotency_key == "bench-live"))
        if order is None:
            with app.test_request_context():
                food.add_to_cart(customer, dish_ids[0], 2)
                place = {"address": "Homestay Kemiren", "lat": -8.2127, "lng": 114.3204, "note": ""}
                total = food.price_checkout(customer, menu.id, **place).total
                order = food.place_order(
                    customer, menu.id, key="bench-live", payment_method="cash", expected_total=total, **place
                )
                db.session.commit()
                food.accept_order(order, by=menu.owner)
                food.mark_ready(order, by=menu.owner)
                db.session.commit()
        order_id = order.id
        # The menu as a shopper sees it after the first add: their dishes counted, the cart bar.
        shopper_user = db.session.scalar(select(User).where(User.email == SHOPPER))
        with app.test_request_context():
            for dish_id in dish_ids[:3]:
                food.add_to_cart(shopper_user, dish_id)
        db.session.commit()
    if True:
        client = app.test_client()
        client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
        client.set_cookie("session", sessions[0][0].removeprefix("session="))
        poll = client.get(f"/orders/{order_id}", headers={"HX-Request": "true"})
        assert poll.status_code == 200, poll.status_code
        etag = poll.headers["ETag"]
        check = client.get(f"/orders/{order_id}", headers={"HX-Request": "true", "If-None-Match": etag})
        assert check.status_code == 304, f"the unchanged poll answered {check.status_code}"
        client.set_cookie("session", admin_session[0].removeprefix("session="))
        board = client.get(DASHBOARD_30D)
        assert board.status_code == 200, f"the admin's dashboard answered {board.status_code}"
        return {
            "sessions": sessions,
            "shopper": shopper[0],
            "admin": admin_session[0],
            "dish_ids": dish_ids,
            "order_id": order_id,
            "etag": etag,
        }


# ---------------------------------------------------------------------------------------------
# 3. gunicorn + wrk

REPORT_LUA = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format('RESULT {"requests": %d, "seconds": %.3f, "p50": %.3f, "p95": %.3f, "p99": %.3f, "non_2xx_3xx": %d, "socket_errors": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.errors.status, errors))
end
"""


def lua_get(headers: dict[str, str]) -> str:
    headers = {"User-Agent": USER_AGENT, **headers}
    lines = "\n".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
    return lines + "\n" + REPORT_LUA


def lua_add_to_cart(sessions: list[tuple[str, str]], dish_ids: list[int]) -> str:
    cookies = ", ".join(json.dumps(c) for c, _t in sessions)
    tokens = ", ".join(json.dumps(t) for _c, t in sessions)
    dishes = ", ".join(str(d) for d in dish_ids)
    return (
        f"""
local cookies = {{{cookies}}}
local tokens = {{{tokens}}}
local dishes = {{{dishes}}}
local n = 0
request = function()
  n = n + 1
  local who = (n % #cookies) + 1
  local dish = dishes[(math.floor(n / #cookies) % #dishes) + 1]
  local headers = {{}}
  headers["Cookie"] = cookies[who]
  headers["X-CSRFToken"] = tokens[who]
  headers["HX-Request"] = "true"
  headers["User-Agent"] = "{USER_AGENT}"
  headers["Accept-Encoding"] = "br, gzip"
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  return wrk.format("POST", "/cart/items", headers, "dish_id=" .. dish .. "&quantity=1")
end
"""
        + REPORT_LUA
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, **ENV, "DATABASE_URL": database_url()}
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    # The master listens before its workers have imported the app, which takes seconds on a busy
    # machine: wrk's first runs then counted 0 requests. Wait until the bare route answers.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/bench/baseline", timeout=30) as answer:  # noqa: S310 - our loopback server
                if answer.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start")


def wrk(url: str, path: str, script: str, *, duration: int, connections: int, timeout: int = 2) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
        name = fh.name
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", f"--timeout={timeout}s", "-s", name, url + path],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(name)
    result = json.loads(out.split("RESULT ", 1)[1].splitlines()[0])
    result["rps"] = round(result["requests"] / result["seconds"], 1)
    return result


def run(args) -> int:
    if shutil.which("wrk") is None:
        print(
            "make bench needs wrk, a small HTTP load tool. Install it and run again:\n"
            "  Debian/Ubuntu: sudo apt-get install -y wrk\n"
            "  macOS:         brew install wrk",
            file=sys.stderr,
        )
        return 2
    app = make_app()
    print(f"Seeding {database_url()} …")
    dataset = seed(app, args.fresh)
    print(f"  {dataset}")
    state = prepare(app)
    workers = args.workers or max(2, os.cpu_count() or 2)
    print(f"Starting gunicorn with {workers} workers …")
    server, url = start_gunicorn(workers)
    cookie = state["sessions"][0][0]
    common = {"Cookie": cookie, "Accept-Encoding": "br, gzip"}
    scenarios = {
        "warung_list": ("/warungs", lua_get(common)),
        "menu_60": (f"/warungs/{MENU_SLUG}", lua_get(common)),
        "menu_60_cart": (f"/warungs/{MENU_SLUG}", lua_get({**common, "Cookie": state["shopper"]})),
        "add_to_cart": ("/cart/items", lua_add_to_cart(state["sessions"], state["dish_ids"])),
        "tracking_304": (
            f"/orders/{state['order_id']}",
            lua_get({**common, "HX-Request": "true", "If-None-Match": state["etag"]}),
        ),
        "dashboard_30d": (DASHBOARD_30D, lua_get({**common, "Cookie": state["admin"]})),
    }
    if args.only:
        unknown = set(args.only) - set(scenarios)
        if unknown:
            raise SystemExit(f"unknown route(s) {sorted(unknown)}; choose from {sorted(scenarios)}")
        scenarios = {name: scenarios[name] for name in args.only}
    baseline_script = lua_get(common)
    results: dict[str, dict] = {}
    try:
        # Warm every worker up (imports, template compilation, connection pools).
        for name, (path, script) in [("baseline", ("/bench/baseline", baseline_script)), *scenarios.items()]:
            wrk(url, path, script, duration=1, **HEAVY.get(name, {"connections": 4}))
        with app.app_context():  # the add-to-cart runs start from empty carts; the shopper keeps theirs
            from sqlalchemy import delete, select

            from portal.accounts.models import User
            from portal.extensions import db
            from portal.food.models import CartItem

            shopper = select(User.id).where(User.email == SHOPPER).scalar_subquery()
            db.session.execute(delete(CartItem).where(CartItem.user_id != shopper))
            db.session.commit()
        # Each route runs right after the baseline, in several rounds (the machine is shared and
        # its load moves): the round with the median ratio is reported.
        for name, (path, script) in scenarios.items():
            rounds = []
            for _ in range(args.rounds):
                base = wrk(
                    url, "/bench/baseline", baseline_script, duration=args.duration, connections=args.connections
                )
                measured = wrk(
                    url, path, script, duration=args.duration, **HEAVY.get(name, {"connections": args.connections})
                )
                ratio = round(measured["rps"] / base["rps"], 3) if base["rps"] else 0.0
                rounds.append((ratio, measured, base))
            rounds.sort(key=lambda r: r[0])
            ratio, measured, base = rounds[len(rounds) // 2]
            target = TARGETS[name]
            results[name] = {
                "path": path,
                **measured,
                "baseline": base,
                "ratio": ratio,
                "ratios_all_rounds": [r[0] for r in rounds],
                "target": target,
                "meets_target": None if target is None else ratio >= target,
            }
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "dataset": dataset,
        "gunicorn_workers": workers,
        "wrk": {"threads": 2, "connections": args.connections, "duration_s": args.duration, "rounds": args.rounds},
        "heavy_routes": {name: HEAVY[name] for name in results if name in HEAVY},
        "load_average_1min_at_end": os.getloadavg()[0],
        "cpus": os.cpu_count(),
        "routes": results,
    }
    (BENCH / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(
        f"{'route':<14} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'baseline':>9} {'ratio':>6} {'target':>7}"
    )
    for name, r in results.items():
        target = "-" if r["target"] is None else f"{r['target']:.0%}"
        flag = "" if r["meets_target"] in (None, True) else "  (below target)"
        print(
            f"{name:<14} {r['rps']:>8.1f} {r['p50']:>8.2f} {r['p95']:>8.2f} {r['p99']:>8.2f} "
            f"{r['baseline']['rps']:>9.1f} {r['ratio']:>6.0%} {target:>7}{flag}"
        )
        if r["non_2xx_3xx"] or r["socket_errors"]:
            print(f"  {name}: {r['non_2xx_3xx']} non-2xx/3xx answers, {r['socket_errors']} socket errors")
    print(f"\nwritten to {BENCH / 'results.json'}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="rebuild the benchmark database")
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--only", nargs="+", metavar="ROUTE", help=f"measure only these: {', '.join(TARGETS)}")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
