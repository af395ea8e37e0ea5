"""A delivery as a record: finding and locking it, its tracking ETag, notes on its timeline, and
what follows every move (the origin's `delivery_changed`, messages to customer and courier)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, select
from sqlalchemy.orm import Bundle

from portal import notify
from portal.accounts.models import User
from portal.couriers.contract import DeliveryStatus, Purpose
from portal.couriers.models import Delivery, DeliveryEvent
from portal.couriers.signals import delivery_changed
from portal.database import utcnow
from portal.extensions import db
from portal.workflow import DomainError, moved

S = DeliveryStatus


class CourierError(DomainError):
    """A refusal; str(error) is a translated message for the user.

    Raised with a lazy string, so a job or a test (no request, no locale yet) can raise it and
    whoever shows it renders it in the reader's language."""


def now_or(now: datetime | None) -> datetime:
    return now or utcnow()


def find_delivery(purpose: Purpose, origin_id: int) -> Delivery | None:
    """The latest delivery of that order/booking/request (a re-request after a cancel is newer)."""
    return db.session.scalar(
        select(Delivery)
        .where(Delivery.purpose == Purpose(purpose), Delivery.origin_id == origin_id)
        .order_by(Delivery.id.desc())
        .limit(1)
    )


def load_locked(delivery_id: int) -> Delivery | None:
    """The delivery, row-locked until commit (PostgreSQL), re-read even if the session had it:
    a status checked on a stale copy lets two requests make the same move twice."""
    return db.session.scalar(
        select(Delivery).where(Delivery.id == delivery_id).with_for_update().execution_options(populate_existing=True)
    )


def lock(delivery: Delivery) -> Delivery:
    """Lock and refresh `delivery` in place (same object) before checking a transition on it."""
    locked = load_locked(delivery.id)
    if locked is not delivery:
        raise RuntimeError(f"delivery {delivery.id} is not in this session")
    return delivery


# The columns tracking_etag reads, for a poll that wants the ETag without loading the delivery:
# select(TRACKED) gives a row with the same attribute names (all None when an outer join found none).
TRACKED = Bundle(
    "delivery",
    Delivery.id,
    Delivery.status,
    Delivery.updated_at,
    Delivery.courier_id,
    Delivery.courier_name,
    Delivery.eta,
    Delivery.retry_at,
    Delivery.position_at,
)


def tracking_etag(delivery: Delivery | Row | None, *extra: object) -> str:
    """Changes whenever anything the tracking fragment shows changes (status, courier, ETA, events,
    the courier's latest position). `delivery` is the entity or a TRACKED row."""
    if delivery is None or delivery.id is None:
        parts: tuple[object, ...] = ("none",)
    else:
        parts = (
            delivery.id,
            delivery.status,
            delivery.updated_at.isoformat() if delivery.updated_at else "",
            delivery.courier_id,
            delivery.courier_name,
            delivery.eta.isoformat() if delivery.eta else "",
            delivery.retry_at is not None,
            delivery.position_at.isoformat() if delivery.position_at else "",  # the courier moved on the map
        )
    digest = hashlib.sha256(repr((*parts, *extra)).encode()).hexdigest()[:20]
    return f"trk-{digest}"


def add_note(delivery: Delivery, text: str, *, now: datetime, by: User | None = None) -> None:
    """A line on the timeline that is not a move (a provider declined, a retry, a PIN lock): the
    status stays, so `workflow.move` is not the tool; the row has the event table's shape."""
    status = DeliveryStatus(delivery.status)
    delivery.events.append(
        DeliveryEvent(from_status=status, status=status, note=text[:500], at=now, by_id=by.id if by else None)
    )


CUSTOMER_MESSAGES = {
    S.DRIVER_ASSIGNED: _l("Your courier %(courier)s is on the way to pick up your %(what)s."),
    S.PICKED_UP: _l("Your %(what)s has been picked up and is coming to you."),
    S.DELIVERED: _l("Your %(what)s has been delivered. Thank you!"),
    S.NO_DRIVER: _l("We could not find a courier for your %(what)s yet. We will keep trying."),
}


@moved.connect_via(Delivery)
def _delivery_moved(sender: type, *, subject: Delivery, old: DeliveryStatus, new: DeliveryStatus, **_: Any) -> None:
    """After every move (the event row is written and flushed): stop retrying a finished job, tell
    the origin (food, rides, documents, medicine move their own order), then the people."""
    delivery = subject
    if new.final:
        delivery.retry_at = None
    delivery_changed.send(delivery, old=old, new=new)
    if new == S.CANCELLED and delivery.courier is not None:
        notify.send(
            _l("Job cancelled, you do not need to go: %(job)s.", job=_DriverTitle(delivery)),
            user=delivery.courier,
            url=f"/courier/jobs/{delivery.id}",
        )
    # Rides tell their tourists themselves; a "courier" message would confuse them.
    if delivery.purpose == Purpose.RIDE or new not in CUSTOMER_MESSAGES or delivery.customer is None:
        return
    notify.send(
        _CustomerMessage(CUSTOMER_MESSAGES[new], delivery), user=delivery.customer, url=f"/deliveries/{delivery.id}"
    )


class _DriverTitle:
    """The job's title in the courier's language, when notify renders the message. The job is
    over: the drop-off is named by its area only."""

    def __init__(self, delivery: Delivery) -> None:
        self.delivery = delivery

    def __str__(self) -> str:
        return self.delivery.driver_title(False)


class _CustomerMessage:
    """A message rendered in the recipient's language at send time (notify forces the locale)."""

    def __init__(self, message: Any, delivery: Delivery) -> None:
        self.message, self.delivery = message, delivery

    def __str__(self) -> str:
        what = {
            Purpose.FOOD: _("food order"),
            Purpose.DOCUMENT: _("documents"),
            Purpose.MEDICINE: _("medicine"),
            Purpose.RIDE: _("ride"),
        }[Purpose(self.delivery.purpose)]
        return str(self.message) % {"courier": self.delivery.driver_name or "", "what": what}
