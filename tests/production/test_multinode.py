"""Through the load balancer, two web nodes, two RQ workers and the scheduler: the food story,
the Ijen last-seat race, the courier accept race and webhook replays. Any node may serve any
request; a job may run on either worker; the answers must be those of one server."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from redis import Redis
from rq import Queue, Worker
from rq.registry import FinishedJobRegistry, StartedJobRegistry
from sqlalchemy import select

from portal.accounts.models import Role
from portal.couriers import services as couriers
from portal.couriers.contract import Purpose
from portal.couriers.models import Delivery, DeliveryStatus
from portal.food.models import FoodOrder, OrderStatus
from portal.ops.topology import Topology
from portal.payments.client import sign
from portal.payments.models import Payment, PaymentStatus, WebhookEvent
from portal.rides import services as rides
from portal.rides.models import BookingStatus, RideBooking
from tests.couriers.factories import make_driver, make_job
from tests.factories import UserFactory
from tests.food.factories import DishFactory, WarungFactory
from tests.payments_fixtures import LocalStripe
from tests.production import story
from tests.production.conftest import World, _require, csrf, haproxy_missing, served, topology_env
from tests.production.fakes import HoldingStripe
from tests.production.stripe_admin import StripeAdmin
from tests.rides import factories as f_rides

pytestmark = pytest.mark.alone  # tests/parallel.py: the topology under load, nodes killed mid-request


@pytest.fixture(scope="module")
def stripe():
    """localstripe of this module's own (it sends its webhooks to this topology), behind a proxy
    that can hold a refund's answer."""
    server = LocalStripe()
    try:
        with HoldingStripe(server.url) as proxy:
            yield server, proxy
    finally:
        server.stop()


@pytest.fixture(scope="module")
def topology(database_uri, gosend, stripe):
    _require(haproxy_missing())
    server, proxy = stripe
    keys = {key: str(value) for key, value in server.config.items() if key.startswith("STRIPE_")}
    keys.update(STRIPE_API_BASE=proxy.url, STRIPE_JS_URL=f"{proxy.url}/js.stripe.com/v3/")
    env = topology_env(gosend, **keys)
    running = Topology(database_uri, os.environ["REDIS_URL"], webs=2, workers=2, env=env)
    httpx.post(
        f"{server.url}/_config/webhooks/gancang",
        data={"url": f"{running.internal_url}/webhooks/stripe", "secret": keys["STRIPE_WEBHOOK_SECRET"]},
    ).raise_for_status()
    running.start()
    yield running
    running.stop(timeout=2)  # the tests are done with it: no graceful drain to wait for


@pytest.fixture
def world(topology, database_uri, gosend, stripe):
    gosend.reset()
    stripe[1].reset()
    world = World(topology, database_uri)
    yield world
    world.close()


def finished_jobs(topology, function: str) -> list:
    """The jobs the workers finished that called `function` ("module:name")."""
    with Redis.from_url(topology.redis_url) as connection:
        queue = Queue(topology.env["JOBS_QUEUE"], connection=connection)
        registry = FinishedJobRegistry(queue=queue)
        jobs = [queue.fetch_job(job_id) for job_id in registry.get_job_ids()]
    return [job for job in jobs if job is not None and job.args and job.args[0] == function]


def test_the_food_story_end_to_end_through_the_load_balancer(world, topology, gosend):
    gosend.refuse_bookings = True  # out of GoSend's coverage: the local fleet takes it
    with world.db() as session:
        warung = WarungFactory()
        dish = DishFactory(warung=warung, name="Rujak Soto", price=25_000)
        customer = UserFactory(locale="en")
        driver = make_driver()
        session.flush()
        slug, warung_id, dish_id, owner = warung.slug, warung.id, dish.id, warung.owner
    before = served(topology)
    tourist, owner_browser, courier = world.client(customer), world.client(owner), world.client(driver)

    story.add_to_cart(tourist, slug, dish_id, 2)
    placed = story.place(tourist, story.review_checkout(tourist, warung_id, "card"))
    assert placed.status_code in (302, 303) and "/payments/" in placed.headers["location"], placed.text[:300]
    pay_path = placed.headers["location"]
    stripe = topology.env
    paid = story.pay_by_card(
        tourist, pay_path, story.card_token(stripe["STRIPE_API_BASE"], stripe["STRIPE_PUBLISHABLE_KEY"])
    )
    order_path = paid["redirect"]
    order_id = int(order_path.rsplit("/", 1)[1])

    # localstripe sends payment_intent.succeeded to the load balancer's private side too.
    def webhook_applied():
        with world.db() as session:
            return session.scalar(
                select(WebhookEvent).where(
                    WebhookEvent.type == "payment_intent.succeeded", WebhookEvent.processed_at.is_not(None)
                )
            )

    story.wait_for(webhook_applied, what="localstripe's payment_intent.succeeded webhook")

    board = "/my/warung/orders"
    assert story.press(owner_browser, board, f"/my/warung/orders/{order_id}/accept").status_code in (302, 303)
    assert story.press(owner_browser, board, f"/my/warung/orders/{order_id}/ready").status_code in (302, 303)

    # The dispatch job runs on a worker: GoSend declines, the local fleet looks for a driver.
    def dispatched():
        with world.db() as session:
            delivery = session.scalar(
                select(Delivery).where(Delivery.purpose == Purpose.FOOD, Delivery.origin_id == order_id)
            )
            return delivery if delivery is not None and delivery.status == DeliveryStatus.FINDING_DRIVER else None

    delivery = story.wait_for(dispatched, what="the dispatch job")
    assert delivery.provider == "local"
    assert finished_jobs(topology, "portal.couriers.services.dispatcher:dispatch")
    job = f"/courier/jobs/{delivery.id}"
    assert story.press(courier, "/courier", f"{job}/accept").status_code in (302, 303)
    for step in ("picking_up", "picked_up"):
        assert story.press(courier, job, f"{job}/status", status=step).status_code in (302, 303)
    pin = story.PIN.search(tourist.get(order_path).text).group(1)
    delivered = story.press(courier, job, f"{job}/deliver", pin=pin)
    assert delivered.status_code in (302, 303), delivered.text[:500]

    with world.db() as session:
        order = session.get(FoodOrder, order_id)
        payment = session.scalar(select(Payment).where(Payment.payable_type == "food_order"))
        assert order.state == OrderStatus.DELIVERED
        assert [e.status for e in order.events] == [
            "awaiting_payment",
            "placed",
            "accepted",
            "ready",
            "picked_up",
            "delivered",
        ]
        assert payment.status == PaymentStatus.SUCCEEDED and payment.amount == order.total
    after = served(topology)
    spread = {node: after[node] - before.get(node, 0) for node in after}
    assert all(count > 3 for count in spread.values()), f"requests per node: {spread}"
    print(f"\nfood story: {sum(spread.values())} requests through HAProxy, per node {spread}")


CONTENDERS = 200


def test_200_tourists_on_both_nodes_race_for_the_last_seat_and_one_gets_it(world, topology):
    with world.db() as session:
        package = f_rides.package()
        night = rides.next_bookable_night() + timedelta(days=1)
        for _ in range(2):
            f_rides.available(f_rides.driver(), night)
        f_rides.book(f_rides.CustomerFactory(), package, night, token="earlier")  # one of the two seats
        customers = [f_rides.CustomerFactory() for _ in range(CONTENDERS)]
        session.flush()
        assert rides.free_seats(night) == 1
        slug, departure = package.slug, package.active_departures[1].id
    path = f"/rides/{slug}?date={night.isoformat()}"
    browsers = [world.client(customer) for customer in customers]
    with ThreadPoolExecutor(max_workers=16) as pool:
        tokens = list(pool.map(lambda browser: csrf(browser, path), browsers))
    before = served(topology)
    barrier = threading.Barrier(CONTENDERS)
    answers: list[httpx.Response | Exception | None] = [None] * CONTENDERS

    def book(i: int) -> None:
        barrier.wait()
        try:
            answers[i] = browsers[i].post(
                "/rides/bookings",
                data={
                    "csrf_token": tokens[i],
                    "package": slug,
                    "date": night.isoformat(),
                    "departure": str(departure),
                    "pickup_address": f"Homestay {i}, Jl. Ketapang, Banyuwangi",
                    "token": f"race-{i}",
                },
            )
        except httpx.HTTPError as error:
            answers[i] = error

    started = time.monotonic()
    threads = [threading.Thread(target=book, args=(i,)) for i in range(CONTENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    seconds = time.monotonic() - started
    after = served(topology)
    spread = {node: after[node] - before[node] for node in after}
    statuses = Counter(a.status_code if isinstance(a, httpx.Response) else type(a).__name__ for a in answers)
    figures = f"{CONTENDERS} POSTs in {seconds:.1f}s, per node {spread}, answers {dict(statuses)}"
    print(f"\nlast-seat race: {figures}")
    winners = [a for a in answers if isinstance(a, httpx.Response) and a.status_code in (302, 303)]
    losers = [a for a in answers if isinstance(a, httpx.Response) and a.status_code == 409]
    # HAProxy queues what the nodes cannot take at once and answers 503 to a request that waited
    # past `timeout queue` (10 s): on a busy machine part of the crowd is turned away that way.
    # Those reached no node, so they booked nothing; every answer a node gave is one of two.
    turned_away = [a for a in answers if isinstance(a, httpx.Response) and a.status_code == 503]
    assert len(winners) == 1 and len(losers) + len(turned_away) == CONTENDERS - 1, figures
    assert all("Full: every driver is booked" in loser.text for loser in losers)
    assert sum(spread.values()) >= 1 + len(losers), figures  # (a retried connection counts twice)
    assert min(spread.values()) >= len(losers) // 4, figures  # both nodes took a real share

    with world.db() as session:
        held = session.scalars(select(RideBooking).where(RideBooking.night == night)).all()
        assert len(held) == 2 and len({b.driver_id for b in held}) == 2  # each driver one ride
        winner = next(b for b in held if b.token != "earlier")
        assert winner.state == BookingStatus.AWAITING_PAYMENT
        racers = [c.id for c in customers]
        charged = session.scalars(select(Payment.payable_id).where(Payment.customer_id.in_(racers))).all()
        assert charged in ([], [winner.id])  # nobody who lost pays


ACCEPTERS = 20


def test_twenty_drivers_on_both_nodes_accept_one_job_and_one_gets_it(world, topology):
    with world.db() as session:
        drivers = [make_driver() for _ in range(ACCEPTERS)]
        delivery = couriers.request_delivery(make_job(), origin_id=7, customer=UserFactory())
        session.flush()
        delivery_id = delivery.id
    with world.db() as session:
        assert session.get(Delivery, delivery_id).status == DeliveryStatus.FINDING_DRIVER
    browsers = [world.client(driver) for driver in drivers]
    with ThreadPoolExecutor(max_workers=ACCEPTERS) as pool:
        tokens = list(pool.map(lambda browser: csrf(browser, "/courier"), browsers))
    barrier = threading.Barrier(ACCEPTERS)

    def accept(i: int) -> httpx.Response:
        barrier.wait()
        return browsers[i].post(f"/courier/jobs/{delivery_id}/accept", data={"csrf_token": tokens[i]})

    before = served(topology)
    with ThreadPoolExecutor(max_workers=ACCEPTERS) as pool:
        answers = list(pool.map(accept, range(ACCEPTERS)))
    after = served(topology)
    spread = {node: after[node] - before[node] for node in after}
    places = Counter(a.headers.get("location", str(a.status_code)) for a in answers)
    figures = f"per node {spread}, answers {dict(places)}"
    print(f"\naccept race: {figures}")
    assert places[f"/courier/jobs/{delivery_id}"] == 1 and places["/courier"] == ACCEPTERS - 1, figures
    assert min(spread.values()) >= ACCEPTERS // 4, figures
    winner = drivers[next(i for i, a in enumerate(answers) if a.headers["location"].endswith(str(delivery_id)))]
    with world.db() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery.courier_id == winner.id and delivery.status == DeliveryStatus.DRIVER_ASSIGNED
        assert [e.by_id for e in delivery.events if e.status == "driver_assigned"] == [winner.id]


REPLAYS = 10


def test_ten_copies_of_a_stripe_webhook_on_both_nodes_have_one_effect(world, topology):
    with world.db() as session:
        warung = WarungFactory()
        dish = DishFactory(warung=warung, price=30_000)
        customer = UserFactory(locale="en")
        session.flush()
        slug, warung_id, dish_id = warung.slug, warung.id, dish.id
    tourist = world.client(customer)
    story.add_to_cart(tourist, slug, dish_id)
    placed = story.place(tourist, story.review_checkout(tourist, warung_id, "card"))
    assert "/payments/" in placed.headers["location"], placed.text[:300]
    with world.db() as session:
        payment = session.scalar(select(Payment).where(Payment.payable_type == "food_order"))
        intent_id, payment_id, order_id = payment.intent_id, payment.id, payment.payable_id
    stripe = StripeAdmin(topology.env)
    stripe.pay(intent_id, payment.stripe_customer_id)  # paid at Stripe; we have heard nothing yet
    event = stripe.event(intent_id, "evt_replayed_ten_times")
    payload = json.dumps(event).encode()
    headers = {"Content-Type": "application/json"}

    def deliver(_: int) -> httpx.Response:
        # Signed per copy, as Stripe signs each retry: same event, same id.
        signed = {**headers, "Stripe-Signature": sign(payload, topology.env["STRIPE_WEBHOOK_SECRET"])}
        return httpx.post(f"{topology.internal_url}/webhooks/stripe", content=payload, headers=signed, timeout=30)

    before = served(topology)
    with ThreadPoolExecutor(max_workers=REPLAYS) as pool:
        answers = list(pool.map(deliver, range(REPLAYS)))
    after = served(topology)
    spread = {node: after[node] - before[node] for node in after}
    outcomes = Counter(a.json().get("outcome") if a.status_code == 200 else a.status_code for a in answers)
    figures = f"per node {spread}, outcomes {dict(outcomes)}"
    print(f"\nwebhook replays: {figures}")
    assert outcomes == {"applied": 1, "duplicate": REPLAYS - 1}, figures
    assert min(spread.values()) >= 3, figures

    with world.db() as session:
        payment = session.get(Payment, payment_id)
        order = session.get(FoodOrder, order_id)
        assert payment.status == PaymentStatus.SUCCEEDED
        assert [e.status for e in payment.events].count("succeeded") == 1
        assert [e.status for e in order.events] == ["awaiting_payment", "placed"]
        stored = session.scalars(select(WebhookEvent).where(WebhookEvent.event_id == event["id"])).all()
        assert len(stored) == 1 and stored[0].processed_at is not None


# --- faults -------------------------------------------------------------------------------------


class Load:
    """Customers ordering through the load balancer from threads, every request timed and its
    outcome kept: GET the menu, add a dish, review the checkout, place a cash order."""

    def __init__(self, browsers, slug: str, warung_id: int, dish_id: int, made: Callable[[str], bool]) -> None:
        self.browsers, self.slug, self.warung_id, self.dish_id = browsers, slug, warung_id, dish_id
        self.made = made  # did the order with this checkout key reach the database?
        self.records: list[tuple[float, float, str, str]] = []  # start, end, request, outcome
        self.placed: dict[str, str] = {}  # checkout key -> the order's URL, as answered
        self.lost_places: list[tuple[str, bool]] = []  # checkout key, whether it had been made
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def _call(self, browser: httpx.Client, method: str, path: str, what: str = "", **kwargs) -> httpx.Response | None:
        started = time.monotonic()
        try:
            answer = browser.request(method, path, **kwargs)
            outcome = str(answer.status_code)
        except httpx.HTTPError as error:
            answer, outcome = None, type(error).__name__
        with self.lock:
            self.records.append((started, time.monotonic(), f"{method} {path}{what}", outcome))
        return answer if answer is not None and answer.status_code < 500 else None

    def customer(self, browser: httpx.Client) -> None:
        while not self.stop.is_set():
            menu = self._call(browser, "GET", f"/warungs/{self.slug}")
            token = story.TOKEN.search(menu.text).group(1) if menu is not None else None
            if token is None:
                continue
            data = {"csrf_token": token, "dish_id": self.dish_id, "quantity": 1}
            if self._call(browser, "POST", "/cart/items", data=data) is None:
                continue
            form = {"csrf_token": token, "warung_id": str(self.warung_id), "payment_method": "cash", **story.HOMESTAY}
            review = self._call(browser, "POST", "/checkout", " (review)", data=form)
            if review is None or review.status_code != 200:
                continue
            form.update(
                expected_total=story.hidden(review.text, "expected_total"), token=story.hidden(review.text, "token")
            )
            placed = self._call(browser, "POST", "/checkout", " (place)", data=form)
            for _ in range(3):  # no answer: the customer presses again (the same form, the same key)
                if placed is not None:
                    break
                with self.lock:
                    self.lost_places.append((form["token"], self.made(form["token"])))
                placed = self._call(browser, "POST", "/checkout", " (place again)", data=form)
            if placed is not None and placed.status_code in (302, 303):
                with self.lock:
                    self.placed[form["token"]] = placed.headers["location"]

    def lost(self) -> list[tuple[float, float, str, str]]:
        return [r for r in self.records if not r[3].isdigit() or int(r[3]) >= 500]


def test_a_web_node_killed_under_load_costs_only_its_requests_in_flight(world, topology):
    with world.db() as session:
        warung = WarungFactory()
        dish = DishFactory(warung=warung, price=20_000)
        customers = [UserFactory(locale="en") for _ in range(10)]
        session.flush()
        slug, warung_id, dish_id = warung.slug, warung.id, dish.id

    def made(key: str) -> bool:
        with world.db() as session:
            return session.scalar(select(FoodOrder.id).where(FoodOrder.idempotency_key == key)) is not None

    load = Load([world.client(c) for c in customers], slug, warung_id, dish_id, made)
    threads = [threading.Thread(target=load.customer, args=(browser,)) for browser in load.browsers]
    for thread in threads:
        thread.start()
    time.sleep(3)
    kill_began = time.monotonic()
    topology.kill_web(0)  # SIGKILL: master and workers, mid-request
    killed_at = time.monotonic()
    time.sleep(4)
    load.stop.set()
    for thread in threads:
        thread.join(timeout=60)
    after_kill = [r for r in load.records if r[0] > killed_at]
    in_flight = [r for r in load.records if r[0] <= killed_at and r[1] >= kill_began]
    lost = load.lost()
    figures = (
        f"{len(load.records)} requests, {len(in_flight)} in flight at the kill (on both nodes), "
        f"{len(lost)} lost: {[(r[2], r[3], round(r[0] - kill_began, 3), round(r[1] - kill_began, 3)) for r in lost]};"
        f" kill took {killed_at - kill_began:.3f}s; {len(after_kill)} sent after it"
    )
    print(f"\nweb node killed under load: {figures}")
    assert all(r[0] <= killed_at and r[1] >= kill_began for r in lost), figures  # in flight at the kill
    assert len(lost) <= len(in_flight), figures
    assert len(after_kill) > 20 and all(r[3].isdigit() and int(r[3]) < 500 for r in after_kill), figures

    # Every checkout whose answer was lost was pressed again: made before or not, one order.
    assert {key for key, _ in load.lost_places} <= set(load.placed), load.lost_places
    with world.db() as session:
        orders = session.scalars(select(FoodOrder)).all()
        assert sorted(f"/orders/{o.id}" for o in orders) == sorted(load.placed.values()), figures
        for order in orders:  # nothing half-made: items, totals, its payment, its timeline
            assert order.items and order.total == order.subtotal + order.delivery_fee
            assert [e.status for e in order.events] == ["placed"]  # cash: it never waited for a payment
            payment = session.scalar(
                select(Payment).where(Payment.payable_type == "food_order", Payment.payable_id == order.id)
            )
            assert payment is not None and payment.amount == order.total
    made_before = sum(1 for _, made in load.lost_places if made)
    print(
        f"orders: {len(orders)}, each whole; {len(load.lost_places)} checkouts lost and pressed again"
        f" ({made_before} had been made before the kill: the retry found them, one order each)"
    )
    topology.start_web(0)


def worker_pids(pid: int) -> list[int]:
    """The worker and everything it started (its work horse runs in a process group of its own)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def test_a_worker_killed_mid_dispatch_is_retried_and_books_one_courier(world, topology, gosend):
    """The worker dies after GoSend made the booking and before the database heard of it. RQ
    keeps the job in its StartedJobRegistry; a surviving worker's maintenance finds it once its
    heartbeat has expired (90 s) and queues it again (it carries a Retry). The test runs that
    same cleanup with the clock 120 s on instead of waiting. The second run books with the
    same key, and GoSend, like every courier API we use, answers with the same booking."""
    with world.db() as session:
        # A parcel nobody took (GoSend takes parcels without a PIN); the admin sends it out again.
        delivery = couriers.request_delivery(make_job(), origin_id=11, customer=UserFactory())
        session.commit()  # dispatched here (the test's own app runs jobs at once): the local fleet
        session.refresh(delivery)
        couriers.sweep(now=delivery.no_driver_at + timedelta(seconds=1))
        assert delivery.status == DeliveryStatus.NO_DRIVER
        delivery_id, admin = delivery.id, UserFactory(roles=[Role.ADMIN])
    gosend.hold = True
    again = story.press(world.client(admin), "/admin/deliveries", f"/admin/deliveries/{delivery_id}/redispatch")
    assert again.status_code in (302, 303)
    assert gosend.held.wait(timeout=30), "no worker asked GoSend for a courier"

    with Redis.from_url(topology.redis_url) as connection:
        queue = Queue(topology.env["JOBS_QUEUE"], connection=connection)
        index, job_id = kill_the_worker_running(topology, queue, "portal.couriers.services.dispatcher:dispatch")
        gosend.release.set()  # GoSend's answer goes to a dead socket

        with world.db() as session:
            delivery = session.get(Delivery, delivery_id)
            assert (delivery.status, delivery.provider_ref) == (DeliveryStatus.REQUESTED, None)
        assert len(gosend.bookings) == 1 and gosend.booking_calls == 1
        StartedJobRegistry(queue=queue).cleanup(timestamp=time.time() + 120)  # a surviving worker's maintenance

        def booked():
            with world.db() as session:
                delivery = session.get(Delivery, delivery_id)
                return delivery if delivery.provider_ref else None

        delivery = story.wait_for(booked, what="the retried dispatch")
        job = queue.fetch_job(job_id)
        assert job.get_status() == "finished" and job.retries_left == 2
    (order_no,) = gosend.bookings
    assert (delivery.provider, delivery.provider_ref) == ("gosend", order_no)
    assert delivery.status == DeliveryStatus.FINDING_DRIVER
    # The retry asked GoSend for the booking under its key first, found it, and booked nothing.
    assert (gosend.booking_calls, gosend.lookups_found, len(gosend.bookings)) == (1, 1, 1)
    print(
        f"\nworker killed mid-dispatch: retried once by RQ (retries left {job.retries_left});"
        f" GoSend: {gosend.booking_calls} booking, found again by its key {gosend.lookups_found}x, 1 courier"
    )
    topology.start_worker(index)


def kill_the_worker_running(topology, queue: Queue, function: str) -> tuple[int, str]:
    """SIGKILL the worker running a job that calls `function`, and its work horse (in a process
    group of its own: released, it would finish the job). Its index and the job's id."""
    busy = [w for w in Worker.all(queue=queue) if (job := w.get_current_job()) and job.args[0] == function]
    assert len(busy) == 1
    job_id = busy[0].get_current_job_id()
    index = next(i for i in range(topology.workers) if topology.procs[f"worker{i}"].pid == busy[0].pid)
    for pid in reversed(worker_pids(busy[0].pid)):
        os.kill(pid, signal.SIGKILL)
    topology.kill_worker(index)
    topology.procs[f"worker{index}"].wait(timeout=10)
    return index, job_id


def test_a_worker_killed_mid_refund_is_retried_and_refunds_once(world, topology, stripe):
    """A card payment that succeeds after its order was cancelled is refunded by a job. Its
    worker dies after Stripe refunded and before the database heard of it; the retry finds the
    refund at Stripe under its key and records it: the customer gets the money back once."""
    _, proxy = stripe
    with world.db() as session:
        warung = WarungFactory()
        dish = DishFactory(warung=warung, price=40_000)
        customer = UserFactory(locale="en")
        session.flush()
        slug, warung_id, dish_id = warung.slug, warung.id, dish.id
    tourist = world.client(customer)
    story.add_to_cart(tourist, slug, dish_id)
    placed = story.place(tourist, story.review_checkout(tourist, warung_id, "card"))
    assert "/payments/" in placed.headers["location"], placed.text[:300]
    with world.db() as session:
        payment = session.scalar(select(Payment).where(Payment.payable_type == "food_order"))
        order_id, payment_id = payment.payable_id, payment.id
    cancelled = story.press(tourist, f"/orders/{order_id}", f"/orders/{order_id}/cancel")
    assert cancelled.status_code in (302, 303)
    proxy.hold = True
    admin = StripeAdmin(topology.env)
    admin.pay(payment.intent_id, payment.stripe_customer_id)  # the card page was still open
    # localstripe's webhook: paid, but the order is cancelled, so a worker refunds it.
    assert proxy.held.wait(timeout=30), "no worker asked Stripe for the refund"

    with Redis.from_url(topology.redis_url) as connection:
        queue = Queue(topology.env["JOBS_QUEUE"], connection=connection)
        index, job_id = kill_the_worker_running(topology, queue, "portal.food.services.orders:refund_late_payment")
        proxy.release.set()
        at_stripe = admin.get(f"/v1/refunds?payment_intent={payment.intent_id}")["data"]
        assert len(at_stripe) == 1  # Stripe refunded; the portal never heard
        StartedJobRegistry(queue=queue).cleanup(timestamp=time.time() + 120)  # a surviving worker's maintenance

        def refunded():
            with world.db() as session:
                payment = session.get(Payment, payment_id)
                return payment if payment.status == PaymentStatus.REFUNDED else None

        payment = story.wait_for(refunded, what="the retried refund")
        job = queue.fetch_job(job_id)
        retried = job.retries_left
    with world.db() as session:
        payment = session.get(Payment, payment_id)
        refunds = [(r.amount, r.status, r.refund_id) for r in payment.refunds]
        events = [e.status for e in payment.events]
    at_stripe = admin.get(f"/v1/refunds?payment_intent={payment.intent_id}")["data"]
    figures = (
        f"Stripe asked to refund {proxy.refunds_asked}x, refunds at Stripe {len(at_stripe)},"
        f" recorded {refunds}, payment {payment.refunded_amount}/{payment.amount}, retries left {retried}"
    )
    print(f"\nworker killed mid-refund: {figures}")
    assert len(at_stripe) == 1 and proxy.refunds_asked == 1, figures
    assert payment.refunded_amount == payment.amount > 40_000, figures  # the dish and the delivery
    assert refunds == [(payment.amount, "succeeded", at_stripe[0]["id"])], figures
    assert events.count("refunded") == 1, figures
    topology.start_worker(index)
