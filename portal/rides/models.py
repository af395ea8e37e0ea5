"""Ijen ride packages, the nights drivers offer, bookings, the waitlist and route closures.

A *night* is the evening date: the blue fire pick-up at 00:30 "on the night of 14 December"
happens on 15 December. Every seat is one verified trail driver who said they are available
that night; a booking holds that driver (one ride per driver per night, by a unique index).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import ClassVar

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Index, String, Text, Time, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db
from portal.formatting import WIB
from portal.workflow import EventMixin, Status

# A pick-up before noon belongs to the night that began the evening before.
NIGHT_ROLLOVER = time(12, 0)


def localized(en: str, id_: str) -> str:
    """The Indonesian text for Indonesian readers, English for everyone else (tourists)."""
    return id_ if str(get_locale() or "id") == "id" and id_ else en


class RidePackage(db.Model):
    __tablename__ = "ride_packages"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_id: Mapped[str] = mapped_column(String(120))
    summary_en: Mapped[str] = mapped_column(Text, default="")
    summary_id: Mapped[str] = mapped_column(Text, default="")
    included_en: Mapped[str] = mapped_column(Text, default="")  # one item per line
    included_id: Mapped[str] = mapped_column(Text, default="")
    languages: Mapped[str] = mapped_column(String(60), default="id,en")  # what the drivers speak
    price: Mapped[int]  # whole rupiah per rider
    return_time: Mapped[time | None] = mapped_column(Time)  # back at the homestay, WIB
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    departures: Mapped[list[RideDeparture]] = relationship(
        back_populates="package", order_by="RideDeparture.sort_key", cascade="all, delete-orphan"
    )

    @property
    def name(self) -> str:
        return localized(self.name_en, self.name_id)

    @property
    def summary(self) -> str:
        return localized(self.summary_en, self.summary_id)

    @property
    def included(self) -> list[str]:
        return [line.strip() for line in localized(self.included_en, self.included_id).splitlines() if line.strip()]

    @property
    def language_codes(self) -> list[str]:
        return [code.strip() for code in self.languages.split(",") if code.strip()]

    @property
    def active_departures(self) -> list[RideDeparture]:
        return [d for d in self.departures if d.active]


class RideDeparture(db.Model):
    """A pick-up time (WIB) of a package; on a given night it is one departure."""

    __tablename__ = "ride_departures"
    __table_args__ = (UniqueConstraint("package_id", "pickup_time"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("ride_packages.id", ondelete="CASCADE"), index=True)
    pickup_time: Mapped[time] = mapped_column(Time)
    # Minutes after the evening's noon, so 22:00 sorts before 00:30 on the same night.
    sort_key: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    package: Mapped[RidePackage] = relationship(back_populates="departures")

    def pickup_date(self, night: date) -> date:
        return pickup_date(night, self.pickup_time)

    def pickup_at(self, night: date) -> datetime:
        """The pick-up moment (aware) of this departure on `night`."""
        return datetime.combine(self.pickup_date(night), self.pickup_time, tzinfo=WIB)


def pickup_date(night: date, pickup: time) -> date:
    return night + timedelta(days=1) if pickup < NIGHT_ROLLOVER else night


def sort_key(pickup: time) -> int:
    minutes = pickup.hour * 60 + pickup.minute
    return minutes + 12 * 60 if pickup < NIGHT_ROLLOVER else minutes - 12 * 60


class RideNight(db.Model):
    """One row per night that has drivers: the row a booking locks (FOR UPDATE) to count seats."""

    __tablename__ = "ride_nights"

    id: Mapped[int] = mapped_column(primary_key=True)
    night: Mapped[date] = mapped_column(Date, unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DriverAvailability(db.Model):
    __tablename__ = "ride_availability"
    __table_args__ = (UniqueConstraint("driver_id", "night"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    driver_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    night: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    driver: Mapped[User] = relationship()


class BookingStatus(Status):
    AWAITING_PAYMENT = "awaiting_payment", _l("Awaiting payment")
    CONFIRMED = "confirmed", _l("Confirmed")
    DRIVER_ON_THE_WAY = "driver_on_the_way", _l("Driver on the way")
    RIDING = "riding", _l("Riding")
    COMPLETED = "completed", _l("Completed")
    CANCELLED = "cancelled", _l("Cancelled")
    ROUTE_CLOSED = "route_closed", _l("Route closed")
    NO_SHOW = "no_show", _l("No-show")
    EXPIRED = "expired", _l("Hold expired")  # an unpaid hold that ran out

    @property
    def releases_seat(self) -> bool:
        """A booking that ended this way gives its driver back for the night."""
        return self in (BookingStatus.CANCELLED, BookingStatus.ROUTE_CLOSED, BookingStatus.EXPIRED)


# A booking's status on the driver's own page: what it means for them, and what to do.
DRIVER_LABELS = {
    BookingStatus.CONFIRMED: _l("Booked with you"),
    BookingStatus.DRIVER_ON_THE_WAY: _l("On your way to the pick-up"),
    BookingStatus.RIDING: _l("Riding to Paltuding"),
    BookingStatus.COMPLETED: _l("Done"),
    BookingStatus.CANCELLED: _l("Cancelled: no need to go"),
    BookingStatus.ROUTE_CLOSED: _l("Route closed: no need to go"),
    BookingStatus.NO_SHOW: _l("The tourist did not come"),
}

BookingStatus.flow(
    {
        BookingStatus.AWAITING_PAYMENT: {
            BookingStatus.CONFIRMED,
            BookingStatus.EXPIRED,
            BookingStatus.CANCELLED,
            BookingStatus.ROUTE_CLOSED,
        },
        # RIDING straight from CONFIRMED: the driver skipped "on the way".
        BookingStatus.CONFIRMED: {
            BookingStatus.DRIVER_ON_THE_WAY,
            BookingStatus.RIDING,
            BookingStatus.CANCELLED,
            BookingStatus.ROUTE_CLOSED,
            BookingStatus.NO_SHOW,
        },
        BookingStatus.DRIVER_ON_THE_WAY: {
            BookingStatus.RIDING,
            BookingStatus.NO_SHOW,
            BookingStatus.CANCELLED,
            BookingStatus.ROUTE_CLOSED,
        },
        BookingStatus.RIDING: {BookingStatus.COMPLETED},
        BookingStatus.COMPLETED: set(),
        BookingStatus.CANCELLED: set(),
        BookingStatus.ROUTE_CLOSED: set(),
        BookingStatus.NO_SHOW: set(),
        # A tourist who pays just after the hold ran out still gets the seat if one is free.
        BookingStatus.EXPIRED: {BookingStatus.CONFIRMED, BookingStatus.CANCELLED},
    }
)


class RideBooking(db.Model):
    __tablename__ = "ride_bookings"
    __table_args__ = (
        # The database, not only the code, keeps a driver to one ride per night: a booking
        # holds its driver until it releases the seat (expired, cancelled, route closed).
        Index(
            "uq_ride_bookings_night_driver_held",
            "night",
            "driver_id",
            unique=True,
            sqlite_where=text("released_at IS NULL"),
            postgresql_where=text("released_at IS NULL"),
        ),
        # A double-submitted form carries the same token: one booking.
        UniqueConstraint("customer_id", "token"),
    )
    statuses: ClassVar[type[Status]] = BookingStatus

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("ride_packages.id"), index=True)
    departure_id: Mapped[int] = mapped_column(ForeignKey("ride_departures.id"), index=True)
    night: Mapped[date] = mapped_column(Date, index=True)
    pickup_at: Mapped[datetime]
    driver_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=BookingStatus.AWAITING_PAYMENT)
    price: Mapped[int]
    pickup_address: Mapped[str] = mapped_column(String(300))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    token: Mapped[str] = mapped_column(String(64))
    hold_expires_at: Mapped[datetime | None]
    released_at: Mapped[datetime | None]
    refunded_amount: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    customer: Mapped[User] = relationship(foreign_keys=[customer_id])
    driver: Mapped[User] = relationship(foreign_keys=[driver_id])
    package: Mapped[RidePackage] = relationship()
    departure: Mapped[RideDeparture] = relationship()
    events: Mapped[list[BookingEvent]] = relationship(
        back_populates="booking", order_by="BookingEvent.id", cascade="all, delete-orphan"
    )

    @property
    def state(self) -> BookingStatus:
        return BookingStatus(self.status)

    @property
    def reference(self) -> str:
        return f"ride-booking-{self.id}"

    @property
    def driver_label(self) -> str:
        """The status as the driver's own list words it (the tourist's labels speak of "the driver")."""
        return str(DRIVER_LABELS.get(self.state, self.state.label))

    def hold_expired(self, now: datetime) -> bool:
        return (
            self.state == BookingStatus.AWAITING_PAYMENT
            and self.hold_expires_at is not None
            and self.hold_expires_at <= now
        )


class BookingEvent(EventMixin, db.Model):
    __tablename__ = "ride_booking_events"
    statuses = BookingStatus

    booking_id: Mapped[int] = mapped_column(ForeignKey("ride_bookings.id", ondelete="CASCADE"), index=True)

    booking: Mapped[RideBooking] = relationship(back_populates="events")


class WaitlistStatus(Status):
    WAITING = "waiting", _l("On the waitlist")
    OFFERED = "offered", _l("Seat offered")
    BOOKED = "booked", _l("Booked")
    LAPSED = "lapsed", _l("Offer lapsed")  # the offer ran out; the next in line gets it
    LEFT = "left", _l("Left the waitlist")
    CLOSED = "closed", _l("Route closed")  # the route closed that night


WaitlistStatus.flow(
    {
        WaitlistStatus.WAITING: {WaitlistStatus.OFFERED, WaitlistStatus.LEFT, WaitlistStatus.CLOSED},
        WaitlistStatus.OFFERED: {
            WaitlistStatus.BOOKED,
            WaitlistStatus.LAPSED,
            WaitlistStatus.LEFT,
            WaitlistStatus.CLOSED,
        },
        WaitlistStatus.BOOKED: set(),
        WaitlistStatus.LAPSED: set(),
        WaitlistStatus.LEFT: set(),
        WaitlistStatus.CLOSED: set(),
    }
)


class WaitlistEntry(db.Model):
    __tablename__ = "ride_waitlist"
    statuses: ClassVar[type[Status]] = WaitlistStatus

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("ride_packages.id"))
    departure_id: Mapped[int] = mapped_column(ForeignKey("ride_departures.id"))
    night: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(10), default=WaitlistStatus.WAITING)
    offer_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    customer: Mapped[User] = relationship()
    package: Mapped[RidePackage] = relationship()
    departure: Mapped[RideDeparture] = relationship()

    @property
    def state(self) -> WaitlistStatus:
        return WaitlistStatus(self.status)

    def offer_open(self, now: datetime) -> bool:
        """A seat is kept for this person right now."""
        return (
            self.state == WaitlistStatus.OFFERED and self.offer_expires_at is not None and self.offer_expires_at > now
        )


class RouteClosure(db.Model):
    """The park closes the Ijen route (volcanic activity, maintenance) for nights first..last."""

    __tablename__ = "ride_closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_night: Mapped[date] = mapped_column(Date)
    last_night: Mapped[date] = mapped_column(Date)
    reason_en: Mapped[str] = mapped_column(String(300))
    reason_id: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lifted_at: Mapped[datetime | None]

    @property
    def reason(self) -> str:
        return localized(self.reason_en, self.reason_id)

    def covers(self, night: date) -> bool:
        return self.lifted_at is None and self.first_night <= night <= self.last_night
