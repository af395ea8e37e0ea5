"""Hospitals with their Gancang Aron post, the pharmacists who work there, and medicine
deliveries with their timeline.

A delivery keeps its own copy of the address (the patient has no account and the address is
personal health data here); the patient follows it through a link whose token is stored only
as a hash. No drug names or diagnosis are stored at all: the bags are sealed at the pharmacy.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.couriers.contract import HandoverFailure
from portal.couriers.models import HANDOVER_FAILURE_LABELS
from portal.database import utcnow
from portal.extensions import db
from portal.workflow import EventMixin, Status

PAYABLE = "medicine_delivery"
TOKEN_DAYS = 7  # the patient's link works until 7 days after the delivery ends
MAX_BAGS = 20


class MedicineStatus(Status):
    REGISTERED = "registered", _l("Registered at the post")
    PREPARING = "preparing", _l("Being prepared")
    ON_HOLD = "on_hold", _l("On hold")
    READY = "ready", _l("Ready, courier called")
    WITH_COURIER = "with_courier", _l("On the way with the courier")
    DELIVERED = "delivered", _l("Delivered")
    NOT_DELIVERED = "not_delivered", _l("Not delivered")
    RETURNED_TO_PHARMACY = "returned_to_pharmacy", _l("Back at the pharmacy")
    COLLECT_AT_HOSPITAL = "collect_at_hospital", _l("To collect at the hospital")
    CANCELLED = "cancelled", _l("Cancelled")


M = MedicineStatus
MedicineStatus.flow(
    {
        M.REGISTERED: {M.PREPARING, M.CANCELLED},
        M.PREPARING: {M.READY, M.ON_HOLD, M.CANCELLED},
        M.ON_HOLD: {M.PREPARING, M.CANCELLED},
        # No courier came (or the patient asked): the post keeps it for collection.
        M.READY: {M.WITH_COURIER, M.COLLECT_AT_HOSPITAL, M.CANCELLED},
        M.WITH_COURIER: {M.DELIVERED, M.NOT_DELIVERED},
        # Medicine is never left unattended: whatever was not handed over comes back.
        M.NOT_DELIVERED: {M.RETURNED_TO_PHARMACY},
        M.RETURNED_TO_PHARMACY: {M.READY, M.COLLECT_AT_HOSPITAL},
        M.DELIVERED: set(),
        M.COLLECT_AT_HOSPITAL: set(),
        M.CANCELLED: set(),
    }
)

# FHIR R5 MedicationDispense.status for each of ours (README has the table). A refused
# (restricted) prescription never becomes a delivery: that is FHIR's "declined".
FHIR_STATUS = {
    M.REGISTERED: "preparation",
    M.PREPARING: "preparation",
    M.ON_HOLD: "on-hold",
    M.READY: "in-progress",
    M.WITH_COURIER: "in-progress",
    M.DELIVERED: "completed",
    M.NOT_DELIVERED: "in-progress",
    M.RETURNED_TO_PHARMACY: "on-hold",
    M.COLLECT_AT_HOSPITAL: "stopped",
    M.CANCELLED: "cancelled",
}

# The pharmacy's working list, in the order the queue shows it.
QUEUE = (M.REGISTERED, M.PREPARING, M.ON_HOLD, M.READY, M.WITH_COURIER, M.NOT_DELIVERED, M.RETURNED_TO_PHARMACY)


class HoldReason(StrEnum):
    OUT_OF_STOCK = "out_of_stock"
    PRESCRIPTION_UNCLEAR = "prescription_unclear"
    PATIENT_ASKED_TO_WAIT = "patient_asked_to_wait"

    @property
    def label(self) -> str:
        return str(HOLD_LABELS[self])


HOLD_LABELS = {
    HoldReason.OUT_OF_STOCK: _l("Out of stock"),
    HoldReason.PRESCRIPTION_UNCLEAR: _l("Prescription unclear"),
    HoldReason.PATIENT_ASKED_TO_WAIT: _l("Patient asked to wait"),
}


class FareClass(StrEnum):
    FREE = "free"  # PBI / DTSEN (formerly DTKS): the regency pays the courier
    PAID = "paid"

    @property
    def label(self) -> str:
        return str(FARE_LABELS[self])


# Not "Paid": that is the payment status "Lunas" in the merged catalogues; a fare class is "Berbayar".
FARE_LABELS = {FareClass.FREE: _l("Free (PBI / DTSEN)"), FareClass.PAID: _l("Patient pays the fare")}


class Hospital(db.Model):
    __tablename__ = "hospitals"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(300))
    post_phone: Mapped[str] = mapped_column(String(20))  # E.164: "call the post"
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    # Like the 2017 agreement with Gojek: GoSend drivers trained by this hospital's pharmacists.
    gosend_trained_contract: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    pharmacists: Mapped[list[HospitalPharmacist]] = relationship(
        back_populates="hospital", cascade="all, delete-orphan", order_by="HospitalPharmacist.id"
    )

    def __repr__(self) -> str:
        return f"<Hospital {self.slug}>"


class HospitalPharmacist(db.Model):
    """A pharmacist works at one hospital and sees only its deliveries; an admin assigns them."""

    __tablename__ = "hospital_pharmacists"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id", ondelete="CASCADE"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    hospital: Mapped[Hospital] = relationship(back_populates="pharmacists")


# Event notes are stored as codes ("bags_back:2", "sent_again", a hold reason, the courier's
# HandoverFailure) and translated when shown; anything else (a name, a typed reason) is a value.
BAGS_BACK = "bags_back"
SENT_AGAIN = "sent_again"
# Audit details are stored as these codes and translated on the admin's page.
AUDIT_DETAILS = {"prescription, address, receivers": _l("prescription, address, receivers")}


def note_label(note: str) -> str:
    """The reader's words for a stored note code (a plain value is shown as it is)."""
    code, _sep, arg = (note or "").partition(":")
    if code == BAGS_BACK and arg.isdigit():
        return str(lazy_ngettext("%(num)s bag back", "%(num)s bags back", int(arg)))
    if code == SENT_AGAIN:
        return str(_l("sent again"))
    if code in HoldReason._value2member_map_:
        return HoldReason(code).label
    if code in HandoverFailure._value2member_map_:
        return str(HANDOVER_FAILURE_LABELS[HandoverFailure(code)])
    return note or ""


def waited_label(minutes: int) -> str:
    """121 → "2 h 1 min" (Indonesian "2 j 1 mnt"); under an hour, minutes only."""
    hours, mins = divmod(max(0, minutes), 60)
    if hours:
        return str(_l("%(h)s h %(m)s min", h=hours, m=mins))
    return str(_l("%(m)s min", m=mins))


class MedicineEvent(EventMixin, db.Model):
    __tablename__ = "medicine_delivery_events"
    statuses = MedicineStatus

    delivery_id: Mapped[int] = mapped_column(ForeignKey("medicine_deliveries.id", ondelete="CASCADE"), index=True)

    @property
    def note_label(self) -> str:
        return note_label(self.note)


class MedicineDelivery(db.Model):
    __tablename__ = "medicine_deliveries"
    __table_args__ = (
        Index("ix_medicine_deliveries_hospital_status", "hospital_id", "status"),
        Index("ix_medicine_deliveries_hospital_prescription", "hospital_id", "prescription_number"),
        CheckConstraint(f"bags BETWEEN 1 AND {MAX_BAGS}", name="bags"),
    )
    statuses: ClassVar[type[Status]] = MedicineStatus

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)  # a double-clicked "register"
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"))
    status: Mapped[str] = mapped_column(String(30), default=MedicineStatus.REGISTERED)
    patient_name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20))  # E.164, +62…: the SMS goes here
    prescription_number: Mapped[str] = mapped_column(String(40))  # the hospital's prescription / visit number
    address: Mapped[str] = mapped_column(Text)  # copied here, never linked to a profile
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    landmark: Mapped[str] = mapped_column(String(200), default="")
    # Who may receive it besides the patient: [{"name": "Siti", "relation": "wife"}, …]
    receivers: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    fare_class: Mapped[str] = mapped_column(String(10))
    card_checked_by: Mapped[str | None] = mapped_column(String(120))  # who checked the PBI/DTSEN card
    payment_method: Mapped[str] = mapped_column(String(10))  # subsidy | cash | card
    fee: Mapped[int] = mapped_column(Integer, default=0)  # the courier fare, rupiah (the regency pays it when free)
    travel_minutes: Mapped[int] = mapped_column(Integer, default=0)  # the courier's quoted ride
    bags: Mapped[int] = mapped_column(Integer, default=1)
    cold_chain: Mapped[bool] = mapped_column(Boolean, default=False)
    compounded: Mapped[bool] = mapped_column(Boolean, default=False)  # racikan: about an hour
    hold_reason: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text, default="")  # why cancelled / not delivered
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the patient's link token
    received_by: Mapped[str | None] = mapped_column(String(160))  # FHIR receiver
    # The courier job's handover PIN, Fernet-encrypted with DATA_KEY (like NIKs), kept from
    # "ready" until the courier picks the bags up (then the patient gets it by SMS); cleared when
    # the handover is over. Never in plain text at rest.
    pin_sealed: Mapped[str | None] = mapped_column(Text)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    prepared_at: Mapped[datetime | None] = mapped_column()  # FHIR whenPrepared
    handed_over_at: Mapped[datetime | None] = mapped_column()  # FHIR whenHandedOver
    ended_at: Mapped[datetime | None] = mapped_column()  # reached a final status: the link's clock starts

    hospital: Mapped[Hospital] = relationship()
    registered_by: Mapped[User | None] = relationship()
    events: Mapped[list[MedicineEvent]] = relationship(
        cascade="all, delete-orphan", order_by="(MedicineEvent.at, MedicineEvent.id)"
    )

    # Transient, never a column: the patient's link token, set only by register() to send it once.
    issued_token = None  # str | None; a plain attribute, never a column

    def __repr__(self) -> str:
        return f"<MedicineDelivery {self.id} {self.status}>"

    @property
    def state(self) -> MedicineStatus:
        return MedicineStatus(self.status)

    @property
    def reference(self) -> str:
        return f"GA-{self.id}"

    @property
    def free(self) -> bool:
        return self.fare_class == FareClass.FREE

    @property
    def patient_pays(self) -> int:
        return 0 if self.free else self.fee

    @property
    def hold_label(self) -> str:
        return HoldReason(self.hold_reason).label if self.hold_reason else ""

    @property
    def receiver_names(self) -> list[str]:
        return [f"{r['name']} ({r['relation']})" if r.get("relation") else r["name"] for r in self.receivers or []]

    def link_valid(self, now: datetime) -> bool:
        return self.ended_at is None or now < self.ended_at + timedelta(days=TOKEN_DAYS)

    def waited_minutes(self, now: datetime) -> int:
        return max(0, int((now - self.created_at).total_seconds() // 60))

    def waited(self, now: datetime) -> str:
        return waited_label(self.waited_minutes(now))

    @property
    def reason_label(self) -> str:
        return note_label(self.reason)

    def as_fhir(self) -> dict[str, Any]:
        """The MedicationDispense this delivery is (README: the mapping), for an outside reader."""
        return {
            "resourceType": "MedicationDispense",
            "id": self.reference,
            "status": FHIR_STATUS[self.state],
            "whenPrepared": self.prepared_at.isoformat() if self.prepared_at else None,
            "whenHandedOver": self.handed_over_at.isoformat() if self.handed_over_at else None,
            "receiver": [{"display": self.received_by}] if self.received_by else [],
        }
