"""The courier on the customer's map: positions a local courier's phone sends during an open job,
what the tracking page draws from the latest one (pin, stops, remaining distance, ETA), and the
sweep that forgets them 30 days after the job ends."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, select, update
from sqlalchemy.orm.attributes import set_committed_value

from portal.accounts.models import User
from portal.couriers import providers
from portal.couriers.contract import DeliveryStatus, Purpose
from portal.couriers.fare import haversine_km
from portal.couriers.models import CourierPosition, Delivery
from portal.couriers.services.deliveries import CourierError, now_or
from portal.extensions import db

S = DeliveryStatus
# The courier is on the road for the customer: from accepting the job to the handover.
ON_THE_ROAD = frozenset({S.DRIVER_ASSIGNED, S.PICKING_UP, S.PICKED_UP, S.DELIVERING})
BEFORE_PICKUP = frozenset({S.DRIVER_ASSIGNED, S.PICKING_UP})
MAX_ACCURACY_M = 5_000  # a fix vaguer than this (a cell tower's) is not a pin worth drawing


def sharing_statuses(purpose: Purpose) -> frozenset[DeliveryStatus]:
    """A ride's driver is watched coming to the pick-up only: once the tourist is on the bike,
    where they ride is nobody's business. Everything else: until the handover."""
    return BEFORE_PICKUP if purpose == Purpose.RIDE else ON_THE_ROAD


def shares_position(delivery: Delivery) -> bool:
    """The courier's pages send the phone's position for this job (on the road, local fleet)."""
    return delivery.status in sharing_statuses(delivery.purpose) and delivery.provider in ("", providers.LOCAL)


def record_position(
    delivery: Delivery,
    *,
    driver: User,
    lat: float,
    lng: float,
    accuracy: float | None = None,
    now: datetime | None = None,
) -> CourierPosition:
    """Store where the courier is. Refused for a job that is not theirs or not on the road; the
    copy on the delivery is written by one conditional UPDATE, so a position racing the handover
    (or a reassignment) is refused rather than stored after the job ended."""
    now = now_or(now)
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
        raise CourierError(_l("That is not a position on Earth."))
    if accuracy is not None and not (math.isfinite(accuracy) and 0 <= accuracy <= MAX_ACCURACY_M):
        raise CourierError(_l("Your phone's position is too vague to share (more than 5 km)."))
    if delivery.courier_id != driver.id or not shares_position(delivery):
        if delivery.courier_id == driver.id:
            raise CourierError(_l("This job is not on the road: your position is no longer shared."))
        raise CourierError(_l("This job is not assigned to you."))
    shared = db.session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery.id,
            Delivery.courier_id == driver.id,
            Delivery.status.in_(list(sharing_statuses(delivery.purpose))),
        )
        .values(position_lat=lat, position_lng=lng, position_accuracy=accuracy, position_at=now)
        .execution_options(synchronize_session=False)
    )
    if shared.rowcount != 1:
        raise CourierError(_l("This job is not on the road: your position is no longer shared."))
    for name, value in (("position_lat", lat), ("position_lng", lng), ("position_accuracy", accuracy)):
        set_committed_value(delivery, name, value)
    set_committed_value(delivery, "position_at", now)  # what the UPDATE wrote, without reading it back
    position = CourierPosition(
        delivery_id=delivery.id, driver_id=driver.id, lat=lat, lng=lng, accuracy=accuracy, at=now
    )
    db.session.add(position)
    db.session.flush()
    return position


@dataclass(frozen=True, slots=True)
class Point:
    lat: float
    lng: float
    label: str


@dataclass(frozen=True, slots=True)
class CourierOnMap:
    """What the customer's map and its no-JavaScript text say. `target` is where the customer
    waits: the pick-up for a ride (the driver comes to fetch them), the drop-off otherwise."""

    courier: Point
    pickup: Point
    dropoff: Point
    seen_at: datetime
    accuracy: float | None
    remaining_km: float
    eta: datetime
    speed_kmh: float
    waits_at_pickup: bool

    def as_dict(self) -> dict:
        return {
            "courier": [self.courier.lat, self.courier.lng],
            "pickup": [self.pickup.lat, self.pickup.lng],
            "dropoff": [self.dropoff.lat, self.dropoff.lng],
            "labels": {"courier": self.courier.label, "pickup": self.pickup.label, "dropoff": self.dropoff.label},
            "accuracy": self.accuracy,
            "target": "pickup" if self.waits_at_pickup else "dropoff",
        }


def courier_on_map(delivery: Delivery | None) -> CourierOnMap | None:
    """The map of a job on the road with a known position; None otherwise (nothing to draw).
    The ETA is the haversine distance still to go (via the pick-up while not picked up yet) at
    COURIER_MAP_SPEED_KMH, counted from when the position was sent: the same position always
    gives the same answer, so the tracking ETag changes only when a new position arrives."""
    if delivery is None or delivery.position_at is None or delivery.status not in sharing_statuses(delivery.purpose):
        return None
    pickup, dropoff = delivery.pickup, delivery.dropoff
    here = (delivery.position_lat, delivery.position_lng)
    waits_at_pickup = delivery.purpose == Purpose.RIDE
    to_pickup = haversine_km(*here, pickup.lat, pickup.lng)
    if waits_at_pickup:
        remaining = to_pickup
    elif delivery.status in BEFORE_PICKUP:
        remaining = to_pickup + haversine_km(pickup.lat, pickup.lng, dropoff.lat, dropoff.lng)
    else:
        remaining = haversine_km(*here, dropoff.lat, dropoff.lng)
    speed = float(current_app.config.get("COURIER_MAP_SPEED_KMH", 25)) or 25.0
    minutes = math.ceil(remaining / speed * 60)
    return CourierOnMap(
        courier=Point(*here, str(_l("Courier"))),
        # The warung, MPP or hospital by name; a ride's pick-up is the tourist, who is "you".
        pickup=Point(pickup.lat, pickup.lng, str(_l("Pick-up: you")) if waits_at_pickup else pickup.name),
        dropoff=Point(dropoff.lat, dropoff.lng, dropoff.name if waits_at_pickup else str(_l("Drop-off: you"))),
        seen_at=delivery.position_at,
        accuracy=delivery.position_accuracy,
        remaining_km=round(remaining, 1),
        eta=delivery.position_at + timedelta(minutes=minutes),
        speed_kmh=speed,
        waits_at_pickup=waits_at_pickup,
    )


def forget_old_positions(now: datetime | None = None) -> int:
    """Delete the positions of jobs that ended more than COURIER_POSITION_KEEP_DAYS ago (a final
    delivery's updated_at is when it ended) and clear the copy on the delivery. Returns how many
    positions went."""
    cutoff = now_or(now) - timedelta(days=current_app.config.get("COURIER_POSITION_KEEP_DAYS", 30))
    ended = and_(Delivery.status.in_(list(S.finals())), Delivery.updated_at <= cutoff)
    gone = db.session.execute(
        delete(CourierPosition)
        .where(CourierPosition.delivery_id.in_(select(Delivery.id).where(ended)))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(
        update(Delivery)
        .where(ended, Delivery.position_at.is_not(None))
        .values(position_lat=None, position_lng=None, position_accuracy=None, position_at=None)
        .execution_options(synchronize_session=False)
    )
    return gone or 0
