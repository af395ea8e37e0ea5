"""THE BUDGET RACE: 100 tourists press "place order" with the same voucher at the same instant,
when its budget has Rp50.000 left and each order takes Rp10.000 off.

Real HTTP requests at the app served on a loopback port by a threaded server, each with its own
logged-in session, cart and CSRF token (as tests/rides/test_race.py does for the last seat).
Exactly five orders get the discount; every other customer is shown the new total without it
(409) and nothing is placed for them; the budget ends exactly spent, never beyond. The same test
runs on SQLite and on PostgreSQL by setting TEST_DATABASE_URL.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from portal.food import services as food
from portal.food.models import FoodOrder
from portal.promotions.vouchers.models import RedemptionStatus, VoucherRedemption
from tests.browser.conftest import LiveServer
from tests.factories import DEMO_PASSWORD, UserFactory
from tests.promotions.vouchers.conftest import HOMESTAY
from tests.promotions.vouchers.factories import VoucherFactory

pytestmark = pytest.mark.alone  # tests/parallel.py: 100 checkouts at once

CONTENDERS = 100
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _login(base: str, email: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, timeout=120, follow_redirects=False)
    token = TOKEN.search(client.get("/login").text).group(1)
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.text[:300]
    return client, TOKEN.search(client.get("/cart").text).group(1)


def test_100_parallel_checkouts_never_overspend_the_last_50000(app, db, warung):
    app.config.update(LOGIN_RATE_LIMIT="10000 per minute", LOGIN_ADDRESS_RATE_LIMIT="10000 per minute")
    voucher = VoucherFactory(code="PESTA10", amount=10_000, budget=1_000_000, spent=950_000)
    customers = [UserFactory(locale="en") for _ in range(CONTENDERS)]
    for customer in customers:
        food.add_to_cart(customer, warung.dishes[0].id, 2)
    db.session.commit()
    seen = food.price_checkout(customers[0], warung.id, **HOMESTAY, voucher_code="PESTA10")
    assert seen.discount == 10_000
    db.session.commit()
    emails = [c.email for c in customers]
    warung_id = warung.id

    with LiveServer(app) as server, ThreadPoolExecutor(max_workers=16) as pool:
        sessions = list(pool.map(lambda email: _login(server.url, email), emails))
        barrier = threading.Barrier(CONTENDERS + 1)
        results: list[httpx.Response | None] = [None] * CONTENDERS

        def press(i: int) -> None:
            client, token = sessions[i]
            barrier.wait()
            results[i] = client.post(
                "/checkout",
                data={
                    "csrf_token": token,
                    "warung_id": str(warung_id),
                    "token": f"race-{i}",
                    "expected_total": str(seen.total),
                    "address": HOMESTAY["address"],
                    "latitude": str(HOMESTAY["lat"]),
                    "longitude": str(HOMESTAY["lng"]),
                    "note": "",
                    "voucher_code": " pesta 10 ",
                    "payment_method": "cash",
                    "place": "1",
                },
            )

        threads = [threading.Thread(target=press, args=(i,)) for i in range(CONTENDERS)]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join(timeout=240)
        wall = time.perf_counter() - started
        for client, _token in sessions:
            client.close()

    statuses = Counter(r.status_code for r in results if r is not None)
    winners = [r for r in results if r is not None and r.status_code in (302, 303)]
    losers = [r for r in results if r is not None and r.status_code == 409]
    print(
        f"\nvoucher race ({db.engine.dialect.name}): {CONTENDERS} checkouts, {len(winners)} got the discount, "
        f"{len(losers)} shown the new total, {wall:.2f} s wall, statuses {dict(statuses)}"
    )
    assert len(winners) == 5, (statuses, [r.text[:1500] for r in results if r.status_code not in (302, 303, 409)][:1])
    assert len(losers) == CONTENDERS - 5
    for response in losers:
        assert "This voucher&#39;s budget is used up." in response.text or "budget is used up" in response.text
        assert food_total(seen.total + 10_000) in response.text  # the new total, before paying

    db.session.commit()  # end the test's read snapshot: see what the requests wrote
    db.session.refresh(voucher)
    assert voucher.spent == 1_000_000
    used = db.session.scalars(select(VoucherRedemption).where(VoucherRedemption.voucher_id == voucher.id)).all()
    assert len(used) == 5 and all(r.state == RedemptionStatus.USED for r in used)
    assert sum(r.amount for r in used) == 50_000
    # Only the winners' orders exist; every loser still has a cart and no order.
    assert db.session.scalar(select(func.count(FoodOrder.id))) == 5
    assert db.session.scalar(select(func.sum(FoodOrder.discount))) == 50_000


def food_total(amount: int) -> str:
    return f"Rp{amount:,}".replace(",", ".")
