"""One contract suite, run unchanged against every provider: quote, book (idempotent), status,
deliver end to end, cancel. Each provider brings a `world` that plays its couriers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import portal.couriers.contract
from portal.couriers import providers, services
from portal.couriers.contract import DeliveryStatus, Purpose, Vehicle
from portal.couriers.models import Delivery, DriverStatus
from portal.couriers.models import DeliveryStatus as ReExported
from portal.couriers.signals import delivery_changed
from portal.database import utcnow
from portal.workflow import Status
from tests.couriers.factories import make_driver, make_job
from tests.couriers.gosend_server import CALLBACK_TOKEN

S = DeliveryStatus


class LocalWorld:
    """Our own fleet: a verified driver accepts in the workspace and marks each step."""

    name = "local"

    def __init__(self, db) -> None:
        self.db = db
        self.driver = make_driver(vehicle=Vehicle.TRAIL, medicine=True)

    def advance(self, delivery: Delivery, status: DeliveryStatus) -> None:
        if status == S.DRIVER_ASSIGNED:
            services.accept_job(delivery, driver=self.driver)
        else:
            services.mark(delivery, status, by=self.driver)
        self.db.session.commit()


class GoSendWorld:
    """GoSend's drivers: the loopback server changes status and posts the webhook it would send."""

    name = "gosend"
    WORDS = {S.DRIVER_ASSIGNED: "allocated", S.PICKING_UP: "out_for_pickup", S.PICKED_UP: "picked",
             S.DELIVERING: "out_for_delivery", S.DELIVERED: "delivered"}  # fmt: skip

    def __init__(self, db, server, client) -> None:
        self.db, self.server, self.client = db, server, client

    def advance(self, delivery: Delivery, status: DeliveryStatus) -> None:
        body = self.server.set_status(delivery.provider_ref, self.WORDS[status])
        response = self.client.post("/webhooks/couriers/gosend", json=body, headers={"Authorization": CALLBACK_TOKEN})
        assert response.status_code == 202, response.data
        self.db.session.refresh(delivery)


@pytest.fixture(params=["local", "gosend"])
def world(request, app, db, client):
    if request.param == "gosend":
        server = request.getfixturevalue("gosend")
        return GoSendWorld(db, server, client)
    app.config["COURIER_PROVIDERS"] = ["local"]
    return LocalWorld(db)


def test_supports_a_parcel(world):
    assert providers.get(world.name).supports(make_job(Purpose.FOOD))


def test_quote_prices_the_job_and_expires(world):
    now = utcnow()
    quote = providers.get(world.name).quote(make_job(), now=now)
    assert quote.provider == world.name
    assert quote.fee > 0 and quote.eta_minutes > 0 and quote.distance_km > 0
    assert quote.expires_at > now and quote.expired(quote.expires_at)
    assert services.quote(make_job(), now=now).provider == world.name  # the configured first choice


def test_booking_twice_with_one_key_is_one_booking(world):
    courier = providers.get(world.name)
    first = courier.book(make_job(), key="delivery-contract-1")
    again = courier.book(make_job(), key="delivery-contract-1")
    assert first.ref == again.ref and first.provider == world.name
    assert first.status == S.FINDING_DRIVER
    assert courier.book(make_job(), key="delivery-contract-2").ref != first.ref


def test_a_delivery_goes_end_to_end(world, db, customer):
    seen: list[str] = []

    def receiver(delivery, old, new):
        seen.append(new)

    delivery_changed.connect(receiver)
    try:
        delivery = services.request_delivery(make_job(), origin_id=42, customer=customer)
        db.session.commit()
        db.session.refresh(delivery)
        assert delivery.provider == world.name and delivery.provider_ref
        assert delivery.status == S.FINDING_DRIVER
        assert providers.get(world.name).status(delivery.provider_ref).status == S.FINDING_DRIVER
        for status in (S.DRIVER_ASSIGNED, S.PICKED_UP, S.DELIVERED):
            world.advance(delivery, status)
            assert delivery.status == status
        assert delivery.driver_name and delivery.final
        assert providers.get(world.name).status(delivery.provider_ref).status == S.DELIVERED
    finally:
        delivery_changed.disconnect(receiver)
    assert seen == [S.FINDING_DRIVER, S.DRIVER_ASSIGNED, S.PICKED_UP, S.DELIVERED]


def test_cancel_before_pickup(world, db, customer):
    delivery = services.request_delivery(make_job(), origin_id=43, customer=customer)
    db.session.commit()
    db.session.refresh(delivery)
    world.advance(delivery, S.DRIVER_ASSIGNED)
    services.cancel_delivery(delivery, by=customer, reason="ordered twice")
    db.session.commit()
    assert delivery.status == S.CANCELLED
    assert providers.get(world.name).status(delivery.provider_ref).status == S.CANCELLED


def test_the_contract_imports_nothing_from_the_models():
    source = Path(portal.couriers.contract.__file__).read_text()
    imported = {node.module for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom) and node.module}
    assert not any(name.startswith("portal.couriers") for name in imported)
    assert ReExported is DeliveryStatus and issubclass(DeliveryStatus, Status) and issubclass(DriverStatus, Status)


def test_the_flow_says_what_is_final():
    assert S.finals() == {S.DELIVERED, S.CANCELLED, S.FAILED, S.RETURNED}
    assert S.DELIVERING.can_become(S.DELIVERED) and not S.DELIVERED.can_become(S.RETURNED)
    assert S.FINDING_DRIVER.label == "Finding a courier"
    assert DriverStatus.finals() == {DriverStatus.BARRED}
