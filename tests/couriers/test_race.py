"""Twenty drivers press "accept" on one job at the same instant: exactly one gets it.

Runs on whichever database the suite uses (SQLite by default, PostgreSQL with TEST_DATABASE_URL).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from portal.accounts.models import User
from portal.couriers import services
from portal.couriers.models import Delivery, DeliveryEvent, DeliveryStatus
from portal.couriers.services import CourierError
from portal.database import serialized
from portal.extensions import db as _db
from tests.couriers.factories import make_driver, make_job
from tests.factories import UserFactory

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
