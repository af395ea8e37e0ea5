"""The one courier contract: what moves (Job), where it stands (DeliveryStatus), what a provider
answers (Quote, Booking, Update).

Food, rides, documents and medicine import these names and `portal.couriers.services` only,
never a provider module. Every provider maps its own statuses onto DeliveryStatus in one table.
This module imports nothing from the couriers' models: they build on it, not the other way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l

from portal.workflow import Status


class DeliveryStatus(Status):
    """Where a delivery stands (GoSend, Grab Express and Biteship use nearly the same)."""

    REQUESTED = "requested", _l("Requested")
    FINDING_DRIVER = "finding_driver", _l("Finding a courier")
    DRIVER_ASSIGNED = "driver_assigned", _l("Courier assigned")
    PICKING_UP = "picking_up", _l("Courier on the way to pick up")
    PICKED_UP = "picked_up", _l("Picked up")
    DELIVERING = "delivering", _l("On the way to you")
    DELIVERED = "delivered", _l("Delivered")
    NO_DRIVER = "no_driver", _l("No courier found")
    CANCELLED = "cancelled", _l("Cancelled")
    ON_HOLD = "on_hold", _l("On hold")
    FAILED = "failed", _l("Delivery failed")
    RETURNED = "returned", _l("Returned")

    @property
    def rank(self) -> int:
        """Position on the happy path; off-path statuses rank by where they can happen."""
        return RANK[self]


S = DeliveryStatus
# Every legal move. Anything else raises: a status never changes silently. Forward jumps on the
# happy path are legal because an outside provider's webhooks may skip a step (or one got lost).
DeliveryStatus.flow(
    {
        S.REQUESTED: {S.FINDING_DRIVER, S.DRIVER_ASSIGNED, S.NO_DRIVER, S.CANCELLED, S.ON_HOLD, S.FAILED},
        S.FINDING_DRIVER: {S.DRIVER_ASSIGNED, S.PICKING_UP, S.PICKED_UP, S.DELIVERING, S.DELIVERED}
        | {S.NO_DRIVER, S.CANCELLED, S.ON_HOLD, S.FAILED},
        S.DRIVER_ASSIGNED: {S.PICKING_UP, S.PICKED_UP, S.DELIVERING, S.DELIVERED}
        | {S.FINDING_DRIVER, S.NO_DRIVER, S.CANCELLED, S.ON_HOLD, S.FAILED},
        S.PICKING_UP: {S.PICKED_UP, S.DELIVERING, S.DELIVERED, S.FINDING_DRIVER, S.CANCELLED, S.ON_HOLD, S.FAILED},
        S.PICKED_UP: {S.DELIVERING, S.DELIVERED, S.ON_HOLD, S.FAILED, S.RETURNED},
        S.DELIVERING: {S.DELIVERED, S.ON_HOLD, S.FAILED, S.RETURNED},
        S.NO_DRIVER: {S.REQUESTED, S.FINDING_DRIVER, S.DRIVER_ASSIGNED, S.CANCELLED},
        S.ON_HOLD: {S.FINDING_DRIVER, S.DRIVER_ASSIGNED, S.PICKING_UP, S.PICKED_UP, S.DELIVERING, S.DELIVERED}
        | {S.CANCELLED, S.FAILED, S.RETURNED},
        S.DELIVERED: (),
        S.CANCELLED: (),
        S.FAILED: (),
        S.RETURNED: (),
    }
)

# Outside providers' reports never move a delivery backwards on this scale (ON_HOLD and
# NO_DRIVER excepted: a provider may pause a job or lose its driver at any point).
RANK = {
    S.REQUESTED: 0,
    S.FINDING_DRIVER: 1,
    S.NO_DRIVER: 1,
    S.DRIVER_ASSIGNED: 2,
    S.PICKING_UP: 3,
    S.ON_HOLD: 3,
    S.PICKED_UP: 4,
    S.DELIVERING: 5,
    S.DELIVERED: 6,
    S.CANCELLED: 6,
    S.FAILED: 6,
    S.RETURNED: 6,
}


class Purpose(StrEnum):
    FOOD = "food"
    DOCUMENT = "document"
    MEDICINE = "medicine"
    RIDE = "ride"


class Vehicle(StrEnum):
    MOTORBIKE = "motorbike"
    TRAIL = "trail"


@dataclass(frozen=True, slots=True)
class Stop:
    name: str
    phone: str
    address: str
    lat: float
    lng: float
    note: str = ""


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime  # aware UTC
    end: datetime


@dataclass(frozen=True, slots=True)
class Requirements:
    vehicle: Vehicle = Vehicle.MOTORBIKE
    medicine_trained: bool = False
    pin: bool = False
    # Outside providers whose drivers hold the credential under a contract with this pickup
    # (a hospital's agreement for GoSend drivers trained by its pharmacists): {"gosend"}. A
    # provider takes a `medicine_trained` job only when its name is here.
    contracted_providers: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Job:
    purpose: Purpose
    pickup: Stop
    dropoff: Stop
    window: Window | None = None  # None = now
    requirements: Requirements = Requirements()
    reference: str = ""  # e.g. "food-order-12", shown to the driver
    # What moves, e.g. "2 items from Warung Bu Sri". A translatable text (lazy_gettext) is kept in
    # every language and shown to each courier in theirs; plain text is shown as written.
    description: str = ""
    cash_to_collect: int = 0  # rupiah the courier takes at the door: an order paid in cash
    # Who may take the goods at the door, e.g. ("Siti Aminah (patient)", "Budi (son)"); empty:
    # anyone who gives the PIN (or anyone at all without one).
    receivers: tuple[str, ...] = ()
    collect: str = ""  # something the courier takes back at the door, e.g. "the old KTP-el card" (as description)


@dataclass(frozen=True, slots=True)
class Quote:
    provider: str
    fee: int
    eta_minutes: int
    distance_km: float
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


@dataclass(frozen=True, slots=True)
class Booking:
    """A provider took the job: its reference and the status it reports right away."""

    provider: str
    ref: str
    status: DeliveryStatus
    fee: int | None = None


@dataclass(frozen=True, slots=True)
class Update:
    """One status report from a provider (pulled or pushed), already mapped to our statuses."""

    ref: str
    status: DeliveryStatus
    at: datetime  # when the provider says it happened: older updates never overwrite newer ones
    raw_status: str = ""
    courier_name: str | None = None
    courier_phone: str | None = None
    eta: datetime | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class HandoverFailure(StrEnum):
    """Why a courier could not hand the goods over; stored as the `failed` event's note."""

    NOT_HOME = "not home"
    WRONG_ADDRESS = "wrong address"
    REFUSED = "refused"


class ProviderUnavailable(Exception):
    """A transient failure (timeout, 5xx, a body we cannot read): retry later, nothing is lost."""


class ProviderDeclined(Exception):
    """The provider will not take this job (out of area, unsupported): try the next one."""


class WebhookRejected(Exception):
    """A webhook that is not authentic (wrong token) or not readable."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


class Courier(Protocol):
    name: str

    def supports(self, job: Job) -> bool: ...  # vehicle/credential/scheduling needs

    def quote(self, job: Job, *, now: datetime) -> Quote: ...  # fee in rupiah, ETA, expiry

    def book(self, job: Job, *, key: str) -> Booking: ...  # idempotent on key

    def cancel(self, booking_ref: str) -> None: ...

    def status(self, booking_ref: str) -> Update: ...  # pull

    def parse_webhook(self, request: Any) -> list[Update]: ...  # push, authenticated
