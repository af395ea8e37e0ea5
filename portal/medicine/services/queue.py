"""What the post and the patient see: the working queue (and its ETag), the courier job of each
delivery, the expected time at the door, and the figures for the admin."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, func, or_, select

from portal.couriers import services as couriers
from portal.couriers.contract import Purpose
from portal.couriers.models import Delivery
from portal.database import utcnow
from portal.extensions import db
from portal.formatting import to_wib
from portal.medicine.models import (
    QUEUE,
    Hospital,
    MedicineDelivery,
    MedicineEvent,
    MedicineStatus,
)
from portal.medicine.services.staff import hospitals

M = MedicineStatus

PREP_MINUTES = 20
COMPOUNDED_MINUTES = 60  # a racikan takes about an hour
DEFAULT_TRAVEL_MINUTES = 30


def courier_delivery(delivery: MedicineDelivery) -> Delivery | None:
    return couriers.find_delivery(Purpose.MEDICINE, delivery.id)


def courier_deliveries(deliveries: list[MedicineDelivery]) -> dict[int, Delivery]:
    """The latest courier delivery of each, in one query (the queue shows them all)."""
    ids = [d.id for d in deliveries]
    if not ids:
        return {}
    found: dict[int, Delivery] = {}
    rows = db.session.scalars(
        select(Delivery).where(Delivery.purpose == Purpose.MEDICINE, Delivery.origin_id.in_(ids)).order_by(Delivery.id)
    )
    for row in rows:
        found[row.origin_id] = row  # later ones replace earlier ones
    return found


def _start_of_day(now: datetime) -> datetime:
    return to_wib(now).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def queue(hospital: Hospital, *, now: datetime | None = None) -> list[MedicineDelivery]:
    """The post's working list: every open delivery (within a status cold chain first, then
    oldest first), then today's finished ones."""
    now = now or utcnow()
    order = case({status.value: index for index, status in enumerate(QUEUE)}, value=MedicineDelivery.status, else_=99)
    stmt = (
        select(MedicineDelivery)
        .where(
            MedicineDelivery.hospital_id == hospital.id,
            or_(MedicineDelivery.status.in_(list(QUEUE)), MedicineDelivery.updated_at >= _start_of_day(now)),
        )
        .order_by(order, MedicineDelivery.cold_chain.desc(), MedicineDelivery.created_at, MedicineDelivery.id)
        .limit(200)
    )
    return list(db.session.scalars(stmt))


def queue_etag(hospital: Hospital, *, now: datetime | None = None) -> str:
    """Changes when a delivery of this hospital or its courier moves, and once a minute (the
    waiting times): the queue polls with it and gets 304 otherwise."""
    now = now or utcnow()
    count, latest = db.session.execute(
        select(func.count(MedicineDelivery.id), func.max(MedicineDelivery.updated_at)).where(
            MedicineDelivery.hospital_id == hospital.id
        )
    ).one()
    open_ids = select(MedicineDelivery.id).where(
        MedicineDelivery.hospital_id == hospital.id, MedicineDelivery.status.in_(list(QUEUE))
    )
    courier_latest = db.session.scalar(
        select(func.max(Delivery.updated_at)).where(
            Delivery.purpose == Purpose.MEDICINE, Delivery.origin_id.in_(open_ids)
        )
    )
    stamp = "-".join(str(int(t.timestamp())) if t else "0" for t in (latest, courier_latest))
    return f"rsud-{hospital.id}-{count}-{stamp}-{int(now.timestamp()) // 60}"


def expected_at(delivery: MedicineDelivery, courier: Delivery | None, *, now: datetime | None = None):
    """When the patient can expect the medicine at the door (None when nothing is on its way)."""
    now = now or utcnow()
    state = delivery.state
    if state not in (M.REGISTERED, M.PREPARING, M.READY, M.WITH_COURIER):
        return None
    if courier is not None and courier.eta is not None and not courier.final:
        return courier.eta
    travel = timedelta(minutes=delivery.travel_minutes or DEFAULT_TRAVEL_MINUTES)
    if state in (M.REGISTERED, M.PREPARING):
        prep = timedelta(minutes=COMPOUNDED_MINUTES if delivery.compounded else PREP_MINUTES)
        return max(now, delivery.created_at + prep) + travel
    return max(now, delivery.updated_at + travel)


@dataclass
class Figures:
    hospital: str
    day: str  # WIB date, YYYY-MM-DD
    registered: int = 0
    free: int = 0
    paid: int = 0
    delivered: int = 0
    failed_attempts: int = 0  # handovers that did not happen (not delivered)
    minutes: list[int] = field(default_factory=list)  # registration → handover, per delivered one

    @property
    def median(self) -> int | None:
        return _percentile(self.minutes, 50)

    @property
    def p90(self) -> int | None:
        return _percentile(self.minutes, 90)

    @property
    def failed_rate(self) -> float | None:
        attempts = self.delivered + self.failed_attempts
        return self.failed_attempts / attempts if attempts else None


def _percentile(values: list[int], pct: int) -> int | None:
    """Nearest-rank percentile: the value at least pct % of the deliveries took no longer than."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-pct * len(ordered) // 100))
    return ordered[rank - 1]


def figures(*, days: int = 7, now: datetime | None = None) -> list[Figures]:
    """Per hospital per day (WIB, by registration): free vs paid, delivered, median and 90th
    percentile minutes from registration to handover, failed handovers. No personal data."""
    now = now or utcnow()
    since = _start_of_day(now) - timedelta(days=days - 1)
    rows: dict[tuple[str, str], Figures] = {}
    deliveries = db.session.scalars(
        select(MedicineDelivery).where(MedicineDelivery.created_at >= since).order_by(MedicineDelivery.created_at)
    )
    failed = dict(
        db.session.execute(
            select(MedicineEvent.delivery_id, func.count(MedicineEvent.id))
            .join(MedicineDelivery, MedicineDelivery.id == MedicineEvent.delivery_id)
            .where(MedicineDelivery.created_at >= since, MedicineEvent.status == M.NOT_DELIVERED)
            .group_by(MedicineEvent.delivery_id)
        ).all()
    )
    names = {h.id: h.name for h in hospitals()}
    for delivery in deliveries:
        key = (names.get(delivery.hospital_id, "?"), to_wib(delivery.created_at).date().isoformat())
        row = rows.setdefault(key, Figures(*key))
        row.registered += 1
        row.free += delivery.free
        row.paid += not delivery.free
        row.failed_attempts += failed.get(delivery.id, 0)
        if delivery.state == M.DELIVERED and delivery.handed_over_at is not None:
            row.delivered += 1
            row.minutes.append(int((delivery.handed_over_at - delivery.created_at).total_seconds() // 60))
    return sorted(rows.values(), key=lambda row: (row.day, row.hospital), reverse=True)
