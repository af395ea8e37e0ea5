"""`flask couriers simulate` moves demo deliveries; `flask couriers sweep` gives up on untaken jobs."""

from __future__ import annotations

from portal.accounts import demo as accounts_demo
from portal.couriers import demo, services
from portal.couriers.contract import Purpose, Vehicle
from portal.couriers.models import Delivery, DeliveryStatus
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


def test_sweep_command_runs_once(app, db):
    result = app.test_cli_runner().invoke(args=["couriers", "sweep"])
    assert result.exit_code == 0 and "retried 0, no driver 0" in result.output
