"""Redis stopped for 10 s and PostgreSQL restarted, under the running topology. Both servers
are the test's own (a redis-server and a PostgreSQL cluster on free ports), so other test runs
on this machine keep theirs."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select

from portal.config import database_url
from portal.couriers.contract import Purpose
from portal.couriers.models import Delivery, DeliveryStatus
from portal.food import services as food
from portal.jobs import OutboxJob
from portal.ops.models import JobRun
from portal.ops.topology import Topology
from tests.conftest import _migrate
from tests.factories import DEMO_PASSWORD, UserFactory
from tests.food.factories import DishFactory, WarungFactory
from tests.production import pgcluster, story
from tests.production.conftest import World, _require, csrf, haproxy_missing, topology_env
from tests.production.redisserver import ThrowawayRedis

pytestmark = pytest.mark.alone  # tests/parallel.py: the topology while Redis and PostgreSQL stop

WHERE = {"address": "Osing Kemiren Homestay, Kemiren", "lat": -8.2127, "lng": 114.3204, "note": ""}


@pytest.fixture(scope="module")
def postgres():
    _require(pgcluster.available())
    with pgcluster.ThrowawayPostgres() as cluster:
        _migrate(database_url(cluster.url))
        yield cluster


@pytest.fixture(scope="module")
def redis_server():
    with ThrowawayRedis() as server:
        yield server


@pytest.fixture(scope="module")
def topology(postgres, redis_server, gosend):
    _require(haproxy_missing())
    running = Topology(postgres.url, redis_server.url, webs=2, workers=2, env=topology_env(gosend)).start()
    yield running
    redis_server.resume()
    running.stop(timeout=2)


@pytest.fixture
def world(topology, postgres, gosend):
    gosend.reset()
    gosend.refuse_bookings = True
    world = World(topology, database_url(postgres.url))
    yield world
    world.close()


def accepted_order(world: World) -> tuple[int, object, str]:
    """A cash order the warung accepted (made in the database): its id, the owner, the menu's slug."""
    with world.db() as session:
        warung = WarungFactory()
        dish = DishFactory(warung=warung)
        customer = UserFactory(locale="en")
        session.flush()
        food.add_to_cart(customer, dish.id, 1)
        total = food.price_checkout(customer, warung.id, **WHERE).total
        order = food.place_order(
            customer, warung.id, key="outage", payment_method="cash", expected_total=total, **WHERE
        )
        food.accept_order(order, by=warung.owner)
        return order.id, warung.owner, warung.slug


def dispatched(world: World, order_id: int):
    def check():
        with world.db() as session:
            delivery = session.scalar(
                select(Delivery).where(Delivery.purpose == Purpose.FOOD, Delivery.origin_id == order_id)
            )
            return delivery if delivery is not None and delivery.status == DeliveryStatus.FINDING_DRIVER else None

    return check


class Visitors:
    """Threads reading pages through the load balancer, each answer timed."""

    def __init__(self, paths: list[str], threads: int = 4) -> None:
        self.paths = paths
        self.answers: list[tuple[float, float, str, str]] = []  # start, end, path, status or error
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._visit, args=(i,)) for i in range(threads)]

    def _visit(self, i: int) -> None:
        with httpx.Client(verify=False, timeout=30) as client:  # noqa: S501 - the topology's own certificate
            n = i
            while not self.stop.is_set():
                path = self.paths[n % len(self.paths)]
                n += 1
                started = time.monotonic()
                try:
                    outcome = str(client.get(path).status_code)
                except httpx.HTTPError as error:
                    outcome = type(error).__name__
                self.answers.append((started, time.monotonic(), path, outcome))

    def __enter__(self) -> Visitors:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def between(self, start: float, end: float) -> list[tuple[float, float, str, str]]:
        return [a for a in self.answers if start <= a[0] and a[1] <= end]


def test_redis_stopped_for_10_s_pages_answer_and_jobs_run_once_it_is_back(world, topology, redis_server):
    order_id, owner, slug = accepted_order(world)
    owner_browser = world.client(owner)
    login_page = world.client()
    pages = [f"{topology.url}/warungs/{slug}", f"{topology.url}/warungs", f"{topology.url}/rides", f"{topology.url}/"]
    for page in pages:  # rendered once: the menu is in the shared cache
        assert httpx.get(page, verify=False).status_code == 200  # noqa: S501

    with Visitors(pages) as visitors:
        time.sleep(1)
        redis_server.pause()
        down = time.monotonic()
        time.sleep(1)
        # A sign-in (rate limited in Redis) and a warung's "ready" (queues a courier dispatch).
        token = csrf(login_page, "/login")
        signed_in = login_page.post(
            "/login", data={"email": owner.email, "password": DEMO_PASSWORD, "csrf_token": token}
        )
        ready = story.press(owner_browser, "/my/warung/orders", f"/my/warung/orders/{order_id}/ready")
        with world.db() as session:
            kept = session.scalars(select(OutboxJob.name)).all()
        time.sleep(max(0.0, down + 10 - time.monotonic()))
        redis_server.resume()
        up = time.monotonic()
        time.sleep(1)

    during = visitors.between(down, up)
    outcomes = Counter(a[3] for a in during)
    slowest = max(a[1] - a[0] for a in during)
    figures = (
        f"Redis stopped {up - down:.1f}s: {len(during)} page views answered {dict(outcomes)}, slowest {slowest:.2f}s;"
        f" sign-in answered {signed_in.status_code}, 'ready' answered {ready.status_code};"
        f" outbox held {Counter(kept)}"
    )
    print(f"\n{figures}")
    assert len(during) >= 8 and set(outcomes) == {"200"}, figures
    assert signed_in.status_code in (302, 303), figures  # rate limits counted in memory meanwhile
    assert ready.status_code in (302, 303), figures
    assert "portal.couriers.services.dispatcher:dispatch" in kept, figures

    # Redis is back: the scheduler's jobs-outbox tick queues the kept jobs, a worker dispatches.
    delivery = story.wait_for(dispatched(world, order_id), timeout=60, what="the dispatch kept in the outbox")
    recovered = time.monotonic() - up
    with world.db() as session:
        assert session.scalar(select(func.count()).select_from(OutboxJob)) == 0
        run = session.get(JobRun, "jobs-outbox")
        assert run is not None and run.failures == 0
    assert delivery.provider == "local"
    assert all(topology.procs[f"worker{i}"].poll() is None for i in range(topology.workers)), "a worker died"
    assert topology.procs["scheduler"].poll() is None, "the scheduler died"
    print(f"the kept dispatch ran {recovered:.1f}s after Redis came back; workers and scheduler alive")


def test_a_postgresql_restart_is_survived_by_every_node_without_restarting_it(world, topology, postgres):
    order_id, owner, slug = accepted_order(world)
    pids = {name: proc.pid for name, proc in topology.procs.items()}
    pages = [f"{topology.url}/warungs/{slug}", f"{topology.url}/rides", f"{topology.url}/readyz"]
    with Visitors(pages) as visitors:
        time.sleep(2)
        began = time.monotonic()
        restarted_at = datetime.now(UTC)
        seconds = postgres.restart()
        back = time.monotonic()
        time.sleep(3)
    during = visitors.between(began - 5, back)
    failed = [a for a in visitors.answers if a[3] != "200"]
    after = [a for a in visitors.answers if a[0] > back]
    figures = (
        f"PostgreSQL restart took {seconds:.2f}s; {len(visitors.answers)} page views, {len(failed)} failed"
        f" {Counter(a[3] for a in failed)} (all while it was down), {len(after)} after it, all 200"
    )
    print(f"\n{figures}")
    assert all(a[0] <= back and a[1] >= began for a in failed), figures  # only while it was down
    assert len(after) >= 10 and all(a[3] == "200" for a in after), figures
    assert during
    # The workers reconnect too: a job queued now runs (a dispatch, through a node and a worker).
    ready = story.press(world.client(owner), "/my/warung/orders", f"/my/warung/orders/{order_id}/ready")
    assert ready.status_code in (302, 303)
    story.wait_for(dispatched(world, order_id), what="a dispatch after the restart")
    assert {name: proc.pid for name, proc in topology.procs.items()} == pids  # nobody was restarted
    assert all(proc.poll() is None for name, proc in topology.procs.items() if name != "localstripe")
    assert restarted_at
