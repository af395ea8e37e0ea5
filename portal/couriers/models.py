"""Deliveries (one row per job, with its event timeline) and the local fleet's driver profiles."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from portal.accounts import nik
from portal.accounts.models import User
from portal.couriers.areas import area_of
from portal.couriers.contract import DeliveryStatus, HandoverFailure, Job, Purpose, Requirements, Stop, Vehicle, Window
from portal.database import utcnow
from portal.extensions import db
from portal.workflow import EventMixin, Status

__all__ = [
    "CourierPosition",
    "Delivery",
    "DeliveryEvent",
    "DeliveryStatus",
    "DriverEvent",
    "DriverProfile",
    "DriverStatus",
    "NikView",
]


S = DeliveryStatus

# What a local courier may do by hand: one step at a time on the road. (The flow allows forward
# jumps for outside providers' webhooks; a courier pressing "delivered" on a job they never
# picked up is a mistake or a fraud, not a lost message.)
COURIER_TRANSITIONS: dict[DeliveryStatus, frozenset[DeliveryStatus]] = {
    # FAILED before pick-up: nothing to collect (a rider who never came, a shop that stayed shut).
    S.DRIVER_ASSIGNED: frozenset({S.PICKING_UP, S.PICKED_UP, S.FAILED}),
    S.PICKING_UP: frozenset({S.PICKED_UP, S.FAILED}),
    S.PICKED_UP: frozenset({S.DELIVERING, S.DELIVERED, S.FAILED, S.RETURNED}),
    S.DELIVERING: frozenset({S.DELIVERED, S.FAILED, S.RETURNED}),
    S.ON_HOLD: frozenset({S.PICKING_UP, S.PICKED_UP, S.DELIVERING, S.DELIVERED, S.FAILED, S.RETURNED}),
}

PURPOSE_LABELS = {
    Purpose.FOOD: _l("Food"),
    Purpose.DOCUMENT: _l("Documents"),
    Purpose.MEDICINE: _l("Medicine"),
    Purpose.RIDE: _l("Ijen ride"),
}
# A status as the courier reads it: the customer's labels speak to the recipient ("On the way
# to you"), these to the one carrying the goods, and say what to do next.
DRIVER_LABELS = {
    S.REQUESTED: _l("Not yet open to couriers"),
    S.FINDING_DRIVER: _l("Open: waiting for a courier"),
    S.DRIVER_ASSIGNED: _l("Yours: go to the pick-up"),
    S.PICKING_UP: _l("On your way to the pick-up"),
    S.PICKED_UP: _l("Picked up: take it to the drop-off"),
    S.DELIVERING: _l("On your way to the drop-off"),
    S.DELIVERED: _l("Handed over"),
    S.NO_DRIVER: _l("No courier took it"),
    S.CANCELLED: _l("Cancelled: no need to go"),
    S.ON_HOLD: _l("On hold: wait for staff"),
    S.FAILED: _l("Not delivered"),
    S.RETURNED: _l("Brought back"),
}
VEHICLE_LABELS = {Vehicle.MOTORBIKE: _l("Motorbike"), Vehicle.TRAIL: _l("Trail bike")}
HANDOVER_FAILURE_LABELS = {
    HandoverFailure.NOT_HOME: _l("Nobody at home"),
    HandoverFailure.WRONG_ADDRESS: _l("Wrong address"),
    HandoverFailure.REFUSED: _l("The recipient refused it"),
}

PIN_MAX_TRIES = 5


class EnumText(TypeDecorator):
    """A StrEnum stored as plain text (no database enum to migrate); read back as the enum."""

    impl = String(20)
    cache_ok = True

    def __init__(self, enum: type[StrEnum]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value, dialect):
        return None if value is None else str(self.enum(value))

    def process_result_value(self, value, dialect):
        return None if value is None else self.enum(value)


def _stop_to_dict(stop: Stop) -> dict[str, Any]:
    return {
        "name": stop.name,
        "phone": stop.phone,
        "address": stop.address,
        "lat": stop.lat,
        "lng": stop.lng,
        "note": stop.note,
    }


def _in_every_language(key: str, words: Any) -> dict[str, Any]:
    """A job's words as stored: plain text as it is; translatable text (a lazy_gettext) in the
    portal's default language under `key` (what an outside provider's drivers read) and in every
    language under `key_i18n`, so each courier reads the job in their own, whoever wrote it."""
    if isinstance(words, str):
        return {key: words}
    rendered = {}
    for language in current_app.config["LANGUAGES"]:
        with force_locale(language):
            rendered[language] = str(words)
    return {key: rendered[current_app.config["BABEL_DEFAULT_LOCALE"]], f"{key}_i18n": rendered}


class Delivery(db.Model):
    __tablename__ = "deliveries"
    statuses: ClassVar[type[Status]] = DeliveryStatus
    __table_args__ = (
        Index("ix_deliveries_purpose_origin", "purpose", "origin_id"),
        Index("ix_deliveries_status_provider", "status", "provider"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[Purpose] = mapped_column(EnumText(Purpose))
    origin_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[DeliveryStatus] = mapped_column(EnumText(DeliveryStatus), default=DeliveryStatus.REQUESTED)
    provider: Mapped[str] = mapped_column(String(20), default="")
    provider_ref: Mapped[str | None] = mapped_column(String(80), index=True)
    fee: Mapped[int] = mapped_column(Integer, default=0)
    distance_km: Mapped[float] = mapped_column(Float, default=0.0)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    courier_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # An outside provider's driver is not one of our users: their name and phone as reported.
    courier_name: Mapped[str | None] = mapped_column(String(120))
    courier_phone: Mapped[str | None] = mapped_column(String(30))
    # What moves, as the origin described it (stops, reference, description).
    job_data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    vehicle: Mapped[Vehicle] = mapped_column(EnumText(Vehicle), default=Vehicle.MOTORBIKE)
    medicine_trained: Mapped[bool] = mapped_column(Boolean, default=False)
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    pin_attempts: Mapped[int] = mapped_column(Integer, default=0)
    pin_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    # The handover as the courier recorded it: who took the goods (one of the job's receivers,
    # when it names any), and whether the thing to take back (`collect`) came back (None: nothing
    # to collect, or not delivered yet).
    received_by: Mapped[str] = mapped_column(String(120), default="")
    collected: Mapped[bool | None] = mapped_column(Boolean)
    window_start: Mapped[datetime | None] = mapped_column()
    window_end: Mapped[datetime | None] = mapped_column()
    eta: Mapped[datetime | None] = mapped_column()
    # Dispatch bookkeeping: tries at the current provider, when to retry, when to give up.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    retry_at: Mapped[datetime | None] = mapped_column(index=True)
    no_driver_at: Mapped[datetime | None] = mapped_column(index=True)
    provider_updated_at: Mapped[datetime | None] = mapped_column()
    # The courier's latest shared position: a copy of the newest courier_positions row, so the
    # tracking page and its ETag (polled every 5 s) need no query of their own. Cleared with the
    # positions, 30 days after the job ends.
    position_lat: Mapped[float | None] = mapped_column(Float)
    position_lng: Mapped[float | None] = mapped_column(Float)
    position_accuracy: Mapped[float | None] = mapped_column(Float)  # metres, as the phone reports it
    position_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer: Mapped[User | None] = relationship(foreign_keys=[customer_id])
    courier: Mapped[User | None] = relationship(foreign_keys=[courier_id])
    events: Mapped[list[DeliveryEvent]] = relationship(
        back_populates="delivery",
        cascade="all, delete-orphan",
        order_by="(DeliveryEvent.at, DeliveryEvent.id)",
    )  # loaded when a timeline is drawn, not for a 304 poll or a list

    # Transient: the plain PIN, set only by request_delivery() so the caller can show it once.
    issued_pin = None  # str | None; a plain attribute, never a column

    def __repr__(self) -> str:
        return f"<Delivery {self.id} {self.purpose}:{self.origin_id} {self.status}>"

    @property
    def final(self) -> bool:
        return DeliveryStatus(self.status).final

    @property
    def purpose_label(self) -> str:
        return str(PURPOSE_LABELS[Purpose(self.purpose)])

    @property
    def vehicle_label(self) -> str:
        return str(VEHICLE_LABELS[Vehicle(self.vehicle)])

    @property
    def driver_label(self) -> str:
        return str(DRIVER_LABELS[DeliveryStatus(self.status)])

    def driver_ends(self, show_dropoff: bool) -> tuple[str, str]:
        """Where the job starts and ends, as a courier names them: ("Warung Bu Sri", "Homestay Kemiren").

        The customer's end is the first part of their address (never their name, NIK, or what the
        goods are); with `show_dropoff` false (a job not yet, or no longer, the reader's) only its
        kecamatan, "near Glagah". On a ride the customer's end is the pick-up (always shown: the
        driver was given the ride), and the ride ends at Paltuding."""
        ride = Purpose(self.purpose) == Purpose.RIDE
        person, place = (self.pickup, self.dropoff) if ride else (self.dropoff, self.pickup)
        if show_dropoff or ride:
            person_end = person.address.split(",")[0].strip() or person.name
        else:
            area = area_of(person.lat, person.lng)
            person_end = str(_l("near %(area)s", area=area) if area else _l("outside the regency"))
        return (person_end, place.name) if ride else (place.name, person_end)

    def driver_title(self, show_dropoff: bool) -> str:
        """ "Food: Warung Bu Sri → Homestay Kemiren", "Medicine: RSUD Blambangan → near Glagah"."""
        start, end = self.driver_ends(show_dropoff)
        return str(_l("%(purpose)s: %(start)s → %(end)s", purpose=self.purpose_label, start=start, end=end))

    @property
    def pickup_reference(self) -> str:
        """What the courier names at the pick-up to be given the right goods: the order number on
        the warung's board, the code on the medicine bags, the MPP's request number. A ride has
        nothing to collect. (The stored reference of food and rides is an internal key.)"""
        purpose = Purpose(self.purpose)
        if purpose == Purpose.FOOD:
            return str(_l("Order %(n)s", n=self.origin_id))
        return "" if purpose == Purpose.RIDE else self.reference

    @property
    def retrying(self) -> bool:
        """A provider failed for now and another try is scheduled: shown as "retrying"."""
        return self.retry_at is not None and not self.final

    @property
    def timeline(self) -> list[DeliveryEvent]:
        """One line per status reached (retries and notes stay in the event table)."""
        seen: list[DeliveryEvent] = []
        for event in self.events:
            if not seen or seen[-1].status != event.status:
                seen.append(event)
        return seen

    @property
    def needs_pin(self) -> bool:
        return self.pin_hash is not None

    @property
    def pin_tries_left(self) -> int:
        return max(0, PIN_MAX_TRIES - self.pin_attempts)

    @property
    def pickup(self) -> Stop:
        return Stop(**self.job_data["pickup"])

    @property
    def dropoff(self) -> Stop:
        return Stop(**self.job_data["dropoff"])

    @property
    def reference(self) -> str:
        return self.job_data.get("reference", "")

    def _words(self, key: str) -> str:
        """A job's words (its description, what to take back) in the reader's language when the
        sender wrote them translatable, else as written."""
        return self.job_data.get(f"{key}_i18n", {}).get(str(get_locale())) or self.job_data.get(key, "")

    @property
    def description(self) -> str:
        return self._words("description")

    @property
    def cash_to_collect(self) -> int:
        """Rupiah the courier takes from the recipient (cash on delivery); 0 when paid."""
        return self.job_data.get("cash_to_collect", 0)

    @property
    def receivers(self) -> tuple[str, ...]:
        """Who may take the goods at the door; empty: anyone (with the PIN, when there is one)."""
        return tuple(self.job_data.get("receivers", ()))

    @property
    def collect(self) -> str:
        """What the courier must take back at the door ("" when nothing)."""
        return self._words("collect")

    @property
    def dropoff_area(self) -> str:
        """The kecamatan nearest the drop-off: what a driver sees before accepting, instead of the address."""
        stop = self.job_data["dropoff"]
        return area_of(stop["lat"], stop["lng"])

    @property
    def driver_name(self) -> str | None:
        return self.courier.name if self.courier is not None else self.courier_name

    @property
    def driver_phone(self) -> str | None:
        return self.courier.phone if self.courier is not None else self.courier_phone

    @property
    def job(self) -> Job:
        window = Window(self.window_start, self.window_end) if self.window_start and self.window_end else None
        return Job(
            purpose=Purpose(self.purpose),
            pickup=self.pickup,
            dropoff=self.dropoff,
            window=window,
            requirements=Requirements(
                vehicle=Vehicle(self.vehicle),
                medicine_trained=self.medicine_trained,
                pin=self.needs_pin,
                contracted_providers=frozenset(self.job_data.get("contracted_providers", ())),
            ),
            reference=self.reference,
            # The words as stored for everyone: the default language's (an outside provider's
            # drivers get these), whoever's request dispatches the job.
            description=self.job_data.get("description", ""),
            cash_to_collect=self.cash_to_collect,
            receivers=self.receivers,
            collect=self.job_data.get("collect", ""),
        )

    @staticmethod
    def job_payload(job: Job) -> dict[str, Any]:
        return {
            "pickup": _stop_to_dict(job.pickup),
            "dropoff": _stop_to_dict(job.dropoff),
            "reference": job.reference,
            **_in_every_language("description", job.description),
            "cash_to_collect": job.cash_to_collect,
            "receivers": list(job.receivers),
            **_in_every_language("collect", job.collect),
            "contracted_providers": sorted(job.requirements.contracted_providers),
        }


class CourierPosition(db.Model):
    """Where a local courier's phone was during an open job (Geolocation, at most every 15 s).
    Personal data: shown only to the job's customer and to admins, deleted 30 days after the job
    ends (the couriers sweep)."""

    __tablename__ = "courier_positions"
    __table_args__ = (Index("ix_courier_positions_delivery_at", "delivery_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    driver_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    accuracy: Mapped[float | None] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(default=utcnow)  # when the server received it (phones' clocks drift)


class DeliveryEvent(EventMixin, db.Model):
    __tablename__ = "delivery_events"
    statuses = DeliveryStatus

    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)

    delivery: Mapped[Delivery] = relationship(back_populates="events")

    @property
    def driver_label(self) -> str:
        """The step as the courier's own timeline names it (DRIVER_LABELS)."""
        return str(DRIVER_LABELS[DeliveryStatus(self.status)])


class DriverStatus(Status):
    """An admin's decision on a driver: only a verified one sees and takes jobs."""

    PENDING = "pending", _l("Waiting for verification")
    VERIFIED = "verified", _l("Verified")
    REJECTED = "rejected", _l("Rejected")  # not accepted, or withdrawn: may apply again
    BARRED = "barred", _l("Barred")  # for good: no new application is taken


DriverStatus.flow(
    {
        DriverStatus.PENDING: {DriverStatus.VERIFIED, DriverStatus.REJECTED, DriverStatus.BARRED},
        DriverStatus.VERIFIED: {DriverStatus.REJECTED, DriverStatus.BARRED},
        DriverStatus.REJECTED: {DriverStatus.PENDING, DriverStatus.VERIFIED, DriverStatus.BARRED},
        DriverStatus.BARRED: (),
    }
)

LANGUAGE_LABELS = {"id": "Bahasa Indonesia", "en": "English", "jv": "Basa Jawa", "osing": "Basa Using", "md": "Madura"}


class DriverProfile(db.Model):
    __tablename__ = "driver_profiles"
    statuses: ClassVar[type[Status]] = DriverStatus

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    nik_encrypted: Mapped[str] = mapped_column(Text)
    nik_hash: Mapped[str] = mapped_column(String(64), unique=True)
    nik_masked: Mapped[str] = mapped_column(String(16))
    ktp_address: Mapped[str] = mapped_column(Text)
    vehicle: Mapped[Vehicle] = mapped_column(EnumText(Vehicle), default=Vehicle.MOTORBIKE)
    plate: Mapped[str] = mapped_column(String(16))
    photo: Mapped[str | None] = mapped_column(String(120))
    languages: Mapped[str] = mapped_column(String(60), default="id")
    medicine_trained: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[DriverStatus] = mapped_column(EnumText(DriverStatus), default=DriverStatus.PENDING)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column()
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    events: Mapped[list[DriverEvent]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="(DriverEvent.at, DriverEvent.id)"
    )

    def set_nik(self, number: str) -> None:
        """Store a KTP number the only ways we keep it: encrypted, as a lookup hash, and masked."""
        self.nik_encrypted = nik.encrypt(number)
        self.nik_hash = nik.lookup_hash(number)
        self.nik_masked = nik.mask(number)

    @property
    def verified(self) -> bool:
        return self.status == DriverStatus.VERIFIED

    @property
    def vehicle_label(self) -> str:
        return str(VEHICLE_LABELS[Vehicle(self.vehicle)])

    @property
    def language_list(self) -> list[str]:
        return [code for code in self.languages.split(",") if code]

    @property
    def language_labels(self) -> list[str]:
        return [LANGUAGE_LABELS.get(code, code) for code in self.language_list]

    def qualifies_for(self, delivery: Delivery) -> bool:
        """A trail bike can do a motorbike job, not the other way round; medicine needs the training."""
        if delivery.vehicle == Vehicle.TRAIL and self.vehicle != Vehicle.TRAIL:
            return False
        return not (delivery.medicine_trained and not self.medicine_trained)


class DriverEvent(EventMixin, db.Model):
    """Every decision on a driver (verified, rejected, withdrawn, barred, re-applied) and who made it."""

    __tablename__ = "driver_events"
    statuses = DriverStatus

    profile_id: Mapped[int] = mapped_column(ForeignKey("driver_profiles.id", ondelete="CASCADE"), index=True)

    profile: Mapped[DriverProfile] = relationship(back_populates="events")


class NikView(db.Model):
    """Every time staff reveals a driver's full NIK: who, whose, when."""

    __tablename__ = "driver_nik_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("driver_profiles.id", ondelete="CASCADE"), index=True)
    viewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
