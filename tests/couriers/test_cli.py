"""`flask couriers simulate` moves demo deliveries; `flask couriers sweep` gives up on untaken jobs."""

from __future__ import annotations

from datetime import timedelta

from portal.accounts import demo as accounts_demo
from portal.accounts.models import Role
from portal.couriers import demo, services
from portal.couriers.contract import Purpose, Vehicle
from portal.couriers.models import Delivery, DeliveryStatus
from portal.database import utcnow
from tests.couriers.factories import make_job
from tests.factories import UserFactory

S = DeliveryStatus


def test_simulate_moves_local_deliveries_to_delivered_but_leaves_pin_handovers(app, db):
    accounts_demo.seed()
    demo.seed()
    customer = UserFactory()
    food = services.request_delivery(make_job(), origin_id=1, customer=customer)
    ride = services.request_delivery(make_job(Purpose.RIDE, vehicle=Vehicle.TRAIL), origin_id=1, customer=customer)
    document = services.request_delivery(make_job(Purpose.DOCUMENT, pin=True), origin_id=1, customer=customer)
    db.session.commit()
    ids = (food.id, ride.id, document.id)
    result = app.test_cli_runner().invoke(args=["couriers", "simulate", "--steps", "6", "--every", "0"])
    assert result.exit_code == 0, result.output
    assert "moved 3 deliveries" in result.output
    db.session.rollback()
    food, ride, document = (db.session.get(Delivery, i) for i in ids)
    assert food.status == S.DELIVERED and ride.status == S.DELIVERED
    assert document.status == S.DELIVERING  # only the recipient knows the PIN
    assert food.courier is not None


def test_sweep_command_sends_out_a_delivery_whose_dispatch_job_was_lost(app, db, client, auth):
    """A `requested` delivery with no retry planned (its dispatch job vanished with a worker or a
    flushed Redis) used to wait forever: staff see it, and the sweep dispatches it."""
    admin = UserFactory(roles=[Role.ADMIN], locale="en")
    job = make_job()
    old = utcnow() - timedelta(minutes=10)
    lost = Delivery(
        purpose=job.purpose,
        origin_id=7,
        status=S.REQUESTED,
        provider="",
        fee=12_000,
        job_data=Delivery.job_payload(job),
        created_at=old,
        updated_at=old,
    )
    fresh = Delivery(
        purpose=job.purpose,
        origin_id=8,
        status=S.REQUESTED,
        provider="",
        fee=12_000,
        job_data=Delivery.job_payload(job),
    )
    db.session.add_all([lost, fresh])
    db.session.commit()
    auth.login(admin)
    page = client.get("/admin/deliveries").get_data(as_text=True)
    assert "its job was lost" in page and page.count('class="job-card"') == 1  # the fresh one is not stuck
    result = app.test_cli_runner().invoke(args=["couriers", "sweep"])
    assert result.exit_code == 0 and "retried 1, no driver 0" in result.output
    db.session.rollback()
    assert db.session.get(Delivery, lost.id).status == S.FINDING_DRIVER
    assert db.session.get(Delivery, fresh.id).status == S.REQUESTED  # its own job may still come
    again = app.test_cli_runner().invoke(args=["couriers", "sweep"])
    assert "retried 0, no driver 0" in again.output
