"""The four services the dashboard compares, each described once: where its requests live, which
statuses end it how, when it was handed over, and what payments call it.

Medicine is optional: until `portal.medicine` is installed its section says so instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.util import find_spec
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, literal_column, select
from sqlalchemy.sql import ColumnElement, Select

from portal.admin.dashboard.period import Period
from portal.admin.dashboard.sql import seconds_between, wib_day
from portal.documents.models import DocumentRequest, DocumentRequestEvent, DocumentStatus
from portal.documents.services import PAYABLE as DOCUMENT_PAYABLE
from portal.extensions import db
from portal.food.models import FoodOrder, FoodOrderEvent, OrderStatus
from portal.food.services import PAYABLE as FOOD_PAYABLE
from portal.promotions.vouchers.services import SUBSIDY_PAYABLE as VOUCHER_SUBSIDY_PAYABLE
from portal.rides.models import BookingStatus, RideBooking
from portal.rides.services import PAYABLE as RIDE_PAYABLE

MEDICINE_INSTALLED = find_spec("portal.medicine") is not None
if MEDICINE_INSTALLED:
    from portal.medicine.models import PAYABLE as MEDICINE_PAYABLE
    from portal.medicine.models import FareClass, Hospital, HospitalPharmacist, MedicineDelivery
else:  # the section shows "not in use yet"
    MEDICINE_PAYABLE = "medicine_delivery"
    FareClass = Hospital = HospitalPharmacist = MedicineDelivery = None

# How each request ended, in four words the regency uses for every service.
DELIVERED, FAILED, CANCELLED, OPEN = "delivered", "failed", "cancelled", "open"
OUTCOME_LABELS = {
    DELIVERED: _l("Delivered / completed"),
    FAILED: _l("Failed / returned"),
    CANCELLED: _l("Cancelled / rejected"),
    OPEN: _l("Still open"),
}


@dataclass(frozen=True)
class Service:
    key: str
    label: Any
    unit: Any  # what one request is called, for the summaries
    payable: str
    outcomes: dict[str, str]  # status -> DELIVERED | FAILED | CANCELLED (anything else: OPEN)
    # Other payments that belong to its money: the regency's voucher discounts on food orders.
    also_paid_as: tuple[str, ...] = ()

    @property
    def payables(self) -> tuple[str, ...]:
        return (self.payable, *self.also_paid_as)

    @property
    def installed(self) -> bool:
        return self.key != "medicine" or MEDICINE_INSTALLED

    def outcome(self, status: str) -> str:
        return self.outcomes.get(status, OPEN)


def _outcomes(delivered=(), failed=(), cancelled=()) -> dict[str, str]:
    table = {str(s): DELIVERED for s in delivered}
    table.update({str(s): FAILED for s in failed})
    table.update({str(s): CANCELLED for s in cancelled})
    return table


Ord, B, D = OrderStatus, BookingStatus, DocumentStatus
FOOD = Service(
    "food",
    _l("Food"),
    _l("orders"),
    FOOD_PAYABLE,
    _outcomes([Ord.DELIVERED], [Ord.DELIVERY_FAILED], [Ord.CANCELLED, Ord.REJECTED]),
    also_paid_as=(VOUCHER_SUBSIDY_PAYABLE,),
)
RIDES = Service(
    "rides",
    _l("Ijen rides"),
    _l("bookings"),
    RIDE_PAYABLE,
    _outcomes([B.COMPLETED], [B.NO_SHOW], [B.CANCELLED, B.ROUTE_CLOSED]),
)
DOCUMENTS = Service(
    "documents",
    _l("Documents"),
    _l("requests"),
    DOCUMENT_PAYABLE,
    _outcomes([D.DELIVERED, D.SENT_ELECTRONICALLY], [D.RETURNED, D.COLLECT_AT_COUNTER], [D.CANCELLED, D.REJECTED]),
)
MEDICINE = Service(
    "medicine",
    _l("Medicine (Gancang Aron)"),
    _l("deliveries"),
    MEDICINE_PAYABLE,
    _outcomes(["delivered"], ["not_delivered", "returned_to_pharmacy", "collect_at_hospital"], ["cancelled"]),
)
SERVICES = (FOOD, RIDES, DOCUMENTS, MEDICINE)
BY_KEY = {s.key: s for s in SERVICES}
BY_PAYABLE = {payable: s for s in SERVICES for payable in s.payables}


def _name(service: Service) -> ColumnElement:
    return literal_column(f"'{service.key}'").label("service")


def _between(column, period: Period) -> ColumnElement:
    return and_(column >= period.start, column < period.end)


def requests(service: Service, period: Period, hospital_id: int | None = None) -> Select | None:
    """(service, day, status, n): the service's requests in the period by WIB day and status.

    Food counts orders once placed (an unpaid card checkout is not an order); rides count
    bookings on the night they ride, leaving out unpaid holds; documents and medicine count
    requests on the day they were made.
    """
    if service is FOOD:
        day = wib_day(FoodOrder.placed_at)
        return (
            select(_name(FOOD), day.label("day"), FoodOrder.status.label("status"), _count())
            .where(_between(FoodOrder.placed_at, period))
            .group_by(day, FoodOrder.status)
        )
    if service is RIDES:
        return (
            select(_name(RIDES), RideBooking.night.label("day"), RideBooking.status.label("status"), _count())
            .where(RideBooking.night.between(period.first, period.last))
            .where(RideBooking.status.not_in([B.AWAITING_PAYMENT, B.EXPIRED]))
            .group_by(RideBooking.night, RideBooking.status)
        )
    if service is DOCUMENTS:
        day = wib_day(DocumentRequest.created_at)
        return (
            select(_name(DOCUMENTS), day.label("day"), DocumentRequest.status.label("status"), _count())
            .where(_between(DocumentRequest.created_at, period))
            .group_by(day, DocumentRequest.status)
        )
    if service is MEDICINE and MEDICINE_INSTALLED:
        day = wib_day(MedicineDelivery.created_at)
        stmt = (
            select(_name(MEDICINE), day.label("day"), MedicineDelivery.status.label("status"), _count())
            .where(_between(MedicineDelivery.created_at, period))
            .group_by(day, MedicineDelivery.status)
        )
        return stmt.where(MedicineDelivery.hospital_id == hospital_id) if hospital_id else stmt
    return None


def handovers(service: Service, period: Period, hospital_id: int | None = None) -> Select | None:
    """(service, day, seconds): from request to handover at the door, for each request of the
    period that was handed over. Rides have no handover to time (a booking is made days ahead)."""
    if service is FOOD:
        event = FoodOrderEvent
        return (
            select(_name(FOOD), wib_day(FoodOrder.placed_at).label("day"), _seconds(FoodOrder.placed_at, event.at))
            .join(event, and_(event.order_id == FoodOrder.id, event.status == Ord.DELIVERED))
            .where(_between(FoodOrder.placed_at, period))
        )
    if service is DOCUMENTS:
        event = DocumentRequestEvent
        created = DocumentRequest.created_at
        return (
            select(_name(DOCUMENTS), wib_day(created).label("day"), _seconds(created, event.at))
            .join(event, and_(event.request_id == DocumentRequest.id, event.status == D.DELIVERED))
            .where(_between(created, period))
        )
    if service is MEDICINE and MEDICINE_INSTALLED:
        created = MedicineDelivery.created_at
        stmt = select(
            _name(MEDICINE), wib_day(created).label("day"), _seconds(created, MedicineDelivery.handed_over_at)
        ).where(_between(created, period), MedicineDelivery.handed_over_at.is_not(None))
        return stmt.where(MedicineDelivery.hospital_id == hospital_id) if hospital_id else stmt
    return None


def medicine_by_hospital(period: Period, hospital_id: int | None = None) -> Select | None:
    """(hospital, day, seconds) for every medicine delivery of the period that was handed over."""
    if not MEDICINE_INSTALLED:
        return None
    created = MedicineDelivery.created_at
    stmt = (
        select(
            Hospital.name.label("hospital"),
            wib_day(created).label("day"),
            _seconds(created, MedicineDelivery.handed_over_at),
        )
        .join(Hospital, Hospital.id == MedicineDelivery.hospital_id)
        .where(_between(created, period), MedicineDelivery.handed_over_at.is_not(None))
    )
    return stmt.where(MedicineDelivery.hospital_id == hospital_id) if hospital_id else stmt


def _count():
    return func.count().label("n")


def _seconds(start, end) -> ColumnElement:
    return seconds_between(start, end).label("seconds")


def director_hospital(user) -> tuple[int, str] | None:
    """The hospital whose medicine figures a pharmacist may see: the one they work at.

    Kept simple on purpose: every pharmacist assigned to a hospital sees its aggregated medicine
    figures (no names, no addresses), and nothing else of the dashboard. No new role or flag.
    """
    if not MEDICINE_INSTALLED:
        return None
    row = db.session.execute(
        select(Hospital.id, Hospital.name)
        .join(HospitalPharmacist, HospitalPharmacist.hospital_id == Hospital.id)
        .where(HospitalPharmacist.user_id == user.id)
    ).first()
    return (row.id, row.name) if row else None
