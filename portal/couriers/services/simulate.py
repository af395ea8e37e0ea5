"""Demo motion (`flask couriers simulate`): the demo drivers take open jobs and ride them, and
their "phones" report a position along the way, so the customer's map moves."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from portal.couriers import providers
from portal.couriers.contract import DeliveryStatus
from portal.couriers.models import Delivery, DriverProfile, DriverStatus
from portal.couriers.services.deliveries import CourierError, lock, now_or
from portal.couriers.services.dispatcher import sweep
from portal.couriers.services.positions import record_position, shares_position
from portal.couriers.services.workspace import accept_job
from portal.extensions import db
from portal.workflow import move

S = DeliveryStatus
SIMULATED_NEXT = {
    S.DRIVER_ASSIGNED: S.PICKING_UP,
    S.PICKING_UP: S.PICKED_UP,
    S.PICKED_UP: S.DELIVERING,
    S.DELIVERING: S.DELIVERED,
}
# Where a demo courier is after each step: the share of the way from the pick-up to the drop-off
# (below 0: still coming to the pick-up, from the far side).
SIMULATED_WAY = {S.DRIVER_ASSIGNED: -0.3, S.PICKING_UP: 0.0, S.PICKED_UP: 0.2, S.DELIVERING: 0.7}


def simulate_step(now: datetime | None = None) -> int:
    """One step for every open local delivery: a verified driver accepts, then picks up, rides,
    delivers. Handovers that need a person stop before `delivered`: only the recipient knows the
    PIN, and only the courier at the door sees who takes it and what comes back."""
    now = now_or(now)
    sweep(now=now)
    moved = 0
    drivers = list(
        db.session.scalars(
            select(DriverProfile).where(DriverProfile.status == DriverStatus.VERIFIED).order_by(DriverProfile.id)
        )
    )
    open_deliveries = db.session.scalars(
        select(Delivery)
        .where(Delivery.provider == providers.LOCAL, Delivery.status.in_([S.FINDING_DRIVER, *SIMULATED_NEXT]))
        .order_by(Delivery.id)
        .limit(200)
    ).all()
    for delivery in open_deliveries:
        lock(delivery)  # a courier may have moved it since the list was read
        if delivery.status == S.FINDING_DRIVER:
            profile = next((p for p in drivers if p.qualifies_for(delivery)), None)
            if profile is None:
                continue
            profile.online = True
            try:
                accept_job(delivery, driver=profile.user, now=now)
            except CourierError:
                continue
        elif delivery.status in SIMULATED_NEXT and delivery.provider == providers.LOCAL:
            new = SIMULATED_NEXT[delivery.status]
            if new == S.DELIVERED and (delivery.needs_pin or delivery.receivers or delivery.collect):
                continue
            move(delivery, new, now=now, note="simulated")
        else:
            continue
        moved += 1
        _report_position(delivery, now=now)
    db.session.flush()
    return moved


def _report_position(delivery: Delivery, *, now: datetime) -> None:
    if delivery.courier is None or not shares_position(delivery):
        return
    share = SIMULATED_WAY.get(DeliveryStatus(delivery.status), 0.0)
    pickup, dropoff = delivery.pickup, delivery.dropoff
    lat = pickup.lat + (dropoff.lat - pickup.lat) * share
    lng = pickup.lng + (dropoff.lng - pickup.lng) * share
    record_position(delivery, driver=delivery.courier, lat=lat, lng=lng, accuracy=15.0, now=now)
