"""Twenty drivers press "accept" on one job at the same instant: exactly one gets it.

Runs on whichever database the suite uses (SQLite by default, PostgreSQL with TEST_DATABASE_URL).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from portal import notify
from portal.accounts.models import Role, User
from portal.couriers import services
from portal.couriers.models import Delivery, DeliveryEvent, DeliveryStatus
from portal.couriers.services import CourierError
from portal.couriers.signals import delivery_changed
from portal.database import serialized
from portal.extensions import db as _db
from tests.conftest import AuthActions
from tests.couriers.factories import make_driver, make_job, picked_up_with_pin
from tests.factories import UserFactory

pytestmark = pytest.mark.alone  # tests/parallel.py: threads racing for one job

RACERS = 20


def test_twenty_simultaneous_accepts_make_one_winner(app, db):
    customer = UserFactory()
    drivers = [make_driver() for _ in range(RACERS)]
    delivery = services.request_delivery(make_job(), origin_id=1, customer=customer)
    db.session.commit()
    delivery_id, driver_ids = delivery.id, [d.id for d in drivers]
    assert delivery.status == DeliveryStatus.FINDING_DRIVER
    start = threading.Barrier(RACERS)

    def accept(user_id: int) -> str:
        with app.app_context(), serialized():
            try:
                start.wait(timeout=30)
                driver = _db.session.get(User, user_id)
                job = _db.session.get(Delivery, delivery_id)
                services.accept_job(job, driver=driver)
                _db.session.commit()
                return "won"
            except CourierError:
                _db.session.rollback()
                return "taken"
            finally:
                _db.session.remove()

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        results = list(pool.map(accept, driver_ids))

    assert results.count("won") == 1 and results.count("taken") == RACERS - 1
    db.session.rollback()  # end the test's own read snapshot: see what the racers committed
    delivery = db.session.get(Delivery, delivery_id)
    winner = driver_ids[results.index("won")]
    assert delivery.courier_id == winner and delivery.status == DeliveryStatus.DRIVER_ASSIGNED
    assigned = db.session.query(DeliveryEvent).filter_by(delivery_id=delivery_id, status="driver_assigned").all()
    assert [e.by_id for e in assigned] == [winner]


def _driver_browser(app, driver, path: str):
    """A logged-in browser of its own (cookies) and the CSRF token of `path`, for one racing thread."""
    client = app.test_client()
    auth = AuthActions(client)
    auth.login(driver)
    return client, auth.csrf_token(path)


def test_a_double_delivered_submit_moves_the_job_once(app, db):
    """Two "Delivered" POSTs of the same job at once (a double tap on a slow phone): one move,
    one event, one delivery_changed. A slow signal receiver widens the window in which the
    second request, without a row lock, would read the job still 'delivering'."""
    customer = UserFactory()
    driver = make_driver()
    delivery = services.request_delivery(make_job(), origin_id=1, customer=customer)
    db.session.commit()
    services.accept_job(delivery, driver=driver)
    services.mark(delivery, DeliveryStatus.PICKED_UP, by=driver)
    services.mark(delivery, DeliveryStatus.DELIVERING, by=driver)
    db.session.commit()
    delivery_id = delivery.id
    browsers = [_driver_browser(app, driver, f"/courier/jobs/{delivery_id}") for _ in range(2)]
    sent: list[str] = []

    def slow_receiver(sender, old, new, **kwargs):
        if new == DeliveryStatus.DELIVERED:
            sent.append(new)
            time.sleep(0.5)

    start = threading.Barrier(2)

    def deliver(index: int) -> int:
        start.wait(timeout=30)
        client, token = browsers[index]
        return client.post(f"/courier/jobs/{delivery_id}/deliver", data={"csrf_token": token}).status_code

    delivery_changed.connect(slow_receiver)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            codes = list(pool.map(deliver, range(2)))
    finally:
        delivery_changed.disconnect(slow_receiver)

    db.session.rollback()
    assert sorted(codes) == [302, 422]  # the second is told the job cannot move again
    assert db.session.get(Delivery, delivery_id).status == DeliveryStatus.DELIVERED
    delivered = db.session.query(DeliveryEvent).filter_by(delivery_id=delivery_id, status="delivered").all()
    assert len(delivered) == 1 and sent == [DeliveryStatus.DELIVERED]


def test_parallel_wrong_pins_are_all_counted_and_lock_the_job(app, db):
    """Eight wrong PINs at the same instant (several phones, or a script): each is counted, so
    the lockout after five cannot be dodged by guessing in parallel; staff are alerted once."""
    admin = UserFactory(roles=[Role.ADMIN])
    customer = UserFactory()
    driver = make_driver()
    delivery, wrong = picked_up_with_pin(customer, driver, origin_id=1)
    delivery_id, driver_id = delivery.id, driver.id
    notify.outbox.clear()
    tries = 8
    start = threading.Barrier(tries)

    def guess(_: int) -> str:
        with app.test_request_context(method="POST", headers={"Cookie": "lang=en"}):  # a POST: BEGIN IMMEDIATE
            try:
                start.wait(timeout=30)
                job = _db.session.get(Delivery, delivery_id)
                services.mark(job, DeliveryStatus.DELIVERED, by=_db.session.get(User, driver_id), pin=wrong)
                return "delivered"
            except CourierError as error:
                _db.session.commit()  # as the route does: the wrong try counts
                return str(error)
            finally:
                _db.session.remove()

    with ThreadPoolExecutor(max_workers=tries) as pool:
        answers = list(pool.map(guess, range(tries)))

    db.session.rollback()
    delivery = db.session.get(Delivery, delivery_id)
    assert "delivered" not in answers
    assert delivery.pin_attempts == tries and delivery.pin_locked
    assert delivery.status == DeliveryStatus.PICKED_UP
    assert sum("locked" in answer for answer in answers) == tries - 4  # the 5th try and after
    locks = db.session.query(DeliveryEvent).filter(DeliveryEvent.note.like("PIN locked%")).all()
    assert len(locks) == 1 and len([m for m in notify.outbox if m.user_id == admin.id]) == 1
