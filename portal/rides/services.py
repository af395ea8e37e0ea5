"""Ride verbs: seats, holds, bookings, the waitlist, cancellations and route closures.

Seat rule: on a night, every verified trail driver who marked themselves available is one seat;
a booking (paid, or an unpaid hold that has not run out) holds one driver, and an open waitlist
offer keeps one seat for the person it was offered to. Everything that reads-then-writes seats
locks the night's row first (FOR UPDATE on PostgreSQL; POST requests and jobs begin IMMEDIATE on
SQLite), and a partial unique index keeps a driver to one ride per night whatever the code does.

Verbs flush; the request or job commits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.exc import IntegrityError

from portal import activity, notify
from portal.accounts.models import User
from portal.couriers import services as couriers
from portal.couriers.contract import Job, Purpose, Requirements, Stop, Vehicle, Window
from portal.couriers.models import DeliveryStatus, DriverProfile
from portal.couriers.signals import delivery_changed
from portal.database import utcnow
from portal.extensions import db
from portal.formatting import WIB, rupiah
from portal.payments import services as payments
from portal.payments.models import PaymentMethod, PaymentStatus
from portal.payments.signals import payment_succeeded
from portal.rides.models import (
    BOOKING_LABELS,
    TRANSITIONS,
    BookingEvent,
    BookingStatus,
    DriverAvailability,
    RideBooking,
    RideDeparture,
    RideNight,
    RidePackage,
    RouteClosure,
    WaitlistEntry,
    WaitlistStatus,
    localized,
)
from portal.workflow import DomainError

log = logging.getLogger(__name__)

PAYABLE = "ride_booking"
# Paltuding, the Ijen trailhead where every ride goes.
PALTUDING = Stop(
    name="Paltuding (Kawah Ijen)", phone="", address="Paltuding, Licin, Banyuwangi", lat=-8.0306, lng=114.2378
)
# Where the pin falls when the tourist gives only an address (the town centre).
BANYUWANGI = (-8.2192, 114.3691)
RESERVED_SLUGS = frozenset({"driver", "bookings", "admin", "waitlist"})


# Paths, not url_for: notifications are also sent from jobs and the CLI, outside any request,
# and these URLs are stable (DESIGN.md's URL map).
DRIVER_PATH = "/rides/driver"


def booking_path(booking: RideBooking) -> str:
    return f"/rides/bookings/{booking.id}"


class RideError(DomainError):
    """A refusal with a translated message for the user."""


class RideFull(RideError):
    """No seat left on that night: the page offers the waitlist instead."""


class _Localized:
    """Text in both languages that renders in the language the message is rendered in
    (notifications go out in the recipient's language, not the sender's)."""

    def __init__(self, en: str, id_: str) -> None:
        self.en, self.id = en, id_

    def __str__(self) -> str:
        return localized(self.en, self.id)


class _Lazy:
    """Formats when the message is rendered (in the reader's language), not when it is raised."""

    def __init__(self, render) -> None:
        self.render = render

    def __str__(self) -> str:
        return str(self.render())


# --- settings and the calendar -------------------------------------------------------------


def hold_minutes() -> int:
    return int(current_app.config.get("RIDES_HOLD_MINUTES", 10))


def offer_minutes() -> int:
    return int(current_app.config.get("RIDES_OFFER_MINUTES", 30))


def max_days_ahead() -> int:
    return int(current_app.config.get("RIDES_MAX_DAYS_AHEAD", 90))


def cutoff_time() -> time:
    return time.fromisoformat(str(current_app.config.get("RIDES_BOOKING_CUTOFF", "20:00")))


def cutoff_at(night: date) -> datetime:
    """Bookings for a night close on that evening (WIB), hours before the first pick-up."""
    return datetime.combine(night, cutoff_time(), tzinfo=WIB)


def tonight(now: datetime | None = None) -> date:
    """The night it is now: until noon WIB it is still the night that began the evening before."""
    local = (now or utcnow()).astimezone(WIB)
    return local.date() - timedelta(days=1) if local.hour < 12 else local.date()


def next_bookable_night(now: datetime | None = None) -> date:
    now = now or utcnow()
    night = tonight(now)
    return night if now < cutoff_at(night) else night + timedelta(days=1)


def parse_night(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def night_label(night: date) -> str:
    return _Lazy(lambda: _("night of %(date)s", date=format_date(night, "full")))


def check_night(night: date, *, now: datetime) -> None:
    """Refuse nights that cannot be booked: past, beyond the horizon, after the cut-off, closed."""
    first = tonight(now)
    if night < first:
        raise RideError(_l("That night has already passed. Choose a coming night."))
    if night > first + timedelta(days=max_days_ahead()):
        raise RideError(_l("Rides can be booked at most %(days)d days ahead.", days=max_days_ahead()))
    if now >= cutoff_at(night):
        raise RideError(
            _l(
                "Bookings for the %(night)s closed at %(time)s WIB that evening. Choose a later night.",
                night=night_label(night),
                time=cutoff_time().strftime("%H:%M"),
            )
        )
    closure = closure_for(night)
    if closure is not None:
        raise RideError(
            _l(
                "The Ijen route is closed that night: %(reason)s",
                reason=_Localized(closure.reason_en, closure.reason_id),
            )
        )


def closure_for(night: date) -> RouteClosure | None:
    return db.session.scalar(
        select(RouteClosure)
        .where(RouteClosure.lifted_at.is_(None), RouteClosure.first_night <= night, RouteClosure.last_night >= night)
        .order_by(RouteClosure.id)
        .limit(1)
    )


def current_closures(now: datetime | None = None) -> list[RouteClosure]:
    return list(
        db.session.scalars(
            select(RouteClosure)
            .where(RouteClosure.lifted_at.is_(None), RouteClosure.last_night >= tonight(now))
            .order_by(RouteClosure.first_night)
        )
    )


# --- packages --------------------------------------------------------------------------------


def packages(*, include_inactive: bool = False) -> list[RidePackage]:
    stmt = select(RidePackage).order_by(RidePackage.position, RidePackage.id)
    if not include_inactive:
        stmt = stmt.where(RidePackage.active.is_(True))
    return list(db.session.scalars(stmt))


def package_by_slug(slug: str) -> RidePackage | None:
    return db.session.scalar(select(RidePackage).where(RidePackage.slug == slug, RidePackage.active.is_(True)))


def parse_times(value: str) -> list[time]:
    """ "00:30, 01:00" -> [time(0, 30), time(1, 0)]; raises RideError on anything else."""
    times = []
    for part in value.replace(";", ",").split(","):
        part = part.strip().replace(".", ":")
        if not part:
            continue
        try:
            times.append(time.fromisoformat(part if len(part) > 2 else f"{part}:00"))
        except ValueError:
            raise RideError(
                _l("“%(value)s” is not a time. Write pick-up times like 00:30, 01:00.", value=part)
            ) from None
    if not times:
        raise RideError(_l("Give at least one pick-up time."))
    return sorted(set(times))


def save_package(package: RidePackage | None, *, departures: list[time], **fields) -> RidePackage:
    """Create or update a package; departures no longer offered are switched off, never deleted
    (bookings point at them)."""
    from portal.rides.models import sort_key

    slug = fields.get("slug", "").strip().lower()
    if slug in RESERVED_SLUGS:
        raise RideError(_l("“%(slug)s” is reserved. Choose another short name.", slug=slug))
    clash = db.session.scalar(select(RidePackage.id).where(RidePackage.slug == slug))
    if clash is not None and (package is None or clash != package.id):
        raise RideError(_l("Another package already uses the short name “%(slug)s”.", slug=slug))
    if package is None:
        package = RidePackage()
        db.session.add(package)
    for name, value in fields.items():
        setattr(package, name, value.strip() if isinstance(value, str) else value)
    package.slug = slug
    existing = {d.pickup_time: d for d in package.departures}
    for departure in package.departures:
        departure.active = departure.pickup_time in departures
    for pickup in departures:
        if pickup not in existing:
            package.departures.append(RideDeparture(pickup_time=pickup, sort_key=sort_key(pickup), active=True))
    db.session.flush()
    return package


# --- seats -----------------------------------------------------------------------------------


def _eligible_drivers(night: date):
    """Drivers who can ride that night: available, verified, with a trail bike (oldest offer first)."""
    return (
        select(DriverAvailability.driver_id)
        .join(DriverProfile, DriverProfile.user_id == DriverAvailability.driver_id)
        .where(
            DriverAvailability.night == night,
            DriverProfile.status == "verified",
            DriverProfile.vehicle == Vehicle.TRAIL,
        )
        .order_by(DriverAvailability.created_at, DriverAvailability.id)
    )


def _holding(night: date, now: datetime):
    """Bookings that hold a seat: not released, and not an unpaid hold past its time (lazy expiry)."""
    return and_(
        RideBooking.night == night,
        RideBooking.released_at.is_(None),
        not_(
            and_(
                RideBooking.status == BookingStatus.AWAITING_PAYMENT,
                RideBooking.hold_expires_at.is_not(None),
                RideBooking.hold_expires_at <= now,
            )
        ),
    )


def _held_driver_ids(night: date, now: datetime) -> set[int]:
    return set(db.session.scalars(select(RideBooking.driver_id).where(_holding(night, now))))


def _open_offers(night: date, now: datetime, *, besides: User | None = None) -> int:
    stmt = select(func.count(WaitlistEntry.id)).where(
        WaitlistEntry.night == night,
        WaitlistEntry.status == WaitlistStatus.OFFERED,
        WaitlistEntry.offer_expires_at > now,
    )
    if besides is not None:
        stmt = stmt.where(WaitlistEntry.customer_id != besides.id)
    return db.session.scalar(stmt) or 0


def _free_drivers(night: date, now: datetime) -> list[int]:
    held = _held_driver_ids(night, now)
    return [driver_id for driver_id in db.session.scalars(_eligible_drivers(night)) if driver_id not in held]


def free_seats(night: date, *, now: datetime | None = None, customer: User | None = None) -> int:
    """Seats `customer` could book now (an open offer to someone else keeps its seat for them)."""
    now = now or utcnow()
    free = len(_free_drivers(night, now)) - _open_offers(night, now, besides=customer)
    return max(free, 0)


@dataclass(frozen=True, slots=True)
class Departure:
    """One pick-up time on one night, as a tourist sees it."""

    departure: RideDeparture
    night: date
    pickup_at: datetime
    seats: int
    bookable: bool

    @property
    def id(self) -> int:
        return self.departure.id

    @property
    def pickup_date(self) -> date:
        return self.departure.pickup_date(self.night)

    @property
    def next_day(self) -> bool:
        return self.pickup_date != self.night


def departures(
    package: RidePackage, night: date, *, now: datetime | None = None, customer: User | None = None
) -> list[Departure]:
    now = now or utcnow()
    seats = free_seats(night, now=now, customer=customer)
    result = []
    for departure in package.active_departures:
        pickup_at = departure.pickup_at(night)
        result.append(Departure(departure, night, pickup_at, seats, bookable=seats > 0))
    return result


def open_offer(customer: User, night: date, *, now: datetime | None = None) -> WaitlistEntry | None:
    now = now or utcnow()
    return db.session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.customer_id == customer.id,
            WaitlistEntry.night == night,
            WaitlistEntry.status == WaitlistStatus.OFFERED,
            WaitlistEntry.offer_expires_at > now,
        )
    )


# --- the night row: the lock -----------------------------------------------------------------


def _lock_night(night: date) -> RideNight | None:
    return db.session.scalar(select(RideNight).where(RideNight.night == night).with_for_update())


def _ensure_night(night: date) -> RideNight:
    row = _lock_night(night)
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            db.session.add(RideNight(night=night))
    except IntegrityError:
        pass  # another driver created it a moment ago
    row = _lock_night(night)
    assert row is not None
    return row


# --- status moves ----------------------------------------------------------------------------


def _move(booking: RideBooking, to: BookingStatus, *, by: User | None = None, note: str = "", now: datetime) -> None:
    if to not in TRANSITIONS[booking.state]:
        raise RideError(
            _l(
                "This booking is %(status)s and cannot become %(new)s.",
                status=BOOKING_LABELS[booking.state],
                new=BOOKING_LABELS[to],
            )
        )
    booking.status = to
    booking.updated_at = now
    if to.releases_seat and booking.released_at is None:
        booking.released_at = now
    booking.events.append(BookingEvent(status=to, note=note[:300], at=now, by_id=getattr(by, "id", None)))


def expire_holds(night: date | None = None, *, now: datetime | None = None) -> list[date]:
    """Unpaid holds past their time give their seat back. Returns the nights that gained a seat."""
    now = now or utcnow()
    stmt = select(RideBooking).where(
        RideBooking.status == BookingStatus.AWAITING_PAYMENT,
        RideBooking.released_at.is_(None),
        RideBooking.hold_expires_at <= now,
    )
    if night is not None:
        stmt = stmt.where(RideBooking.night == night)
    nights = []
    for booking in db.session.scalars(stmt.with_for_update()):
        _move(booking, BookingStatus.EXPIRED, note="hold expired", now=now)
        nights.append(booking.night)
    db.session.flush()
    return sorted(set(nights))


def refresh_offers(night: date, *, now: datetime | None = None) -> list[WaitlistEntry]:
    """Lapse offers past their time, then offer each free seat to the next one in line.

    The caller holds the night's lock. Returns the entries that got an offer just now."""
    now = now or utcnow()
    expire_holds(night, now=now)  # a lapsed hold's seat is released before anyone is offered it
    for entry in db.session.scalars(
        select(WaitlistEntry).where(
            WaitlistEntry.night == night,
            WaitlistEntry.status == WaitlistStatus.OFFERED,
            WaitlistEntry.offer_expires_at <= now,
        )
    ):
        entry.status = WaitlistStatus.LAPSED
    db.session.flush()
    if closure_for(night) is not None or now >= cutoff_at(night):
        return []
    spare = len(_free_drivers(night, now)) - _open_offers(night, now)
    offered = []
    if spare <= 0:
        return offered
    waiting = db.session.scalars(
        select(WaitlistEntry)
        .where(WaitlistEntry.night == night, WaitlistEntry.status == WaitlistStatus.WAITING)
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        .limit(spare)
    )
    for entry in waiting:
        entry.status = WaitlistStatus.OFFERED
        entry.offer_expires_at = min(now + timedelta(minutes=offer_minutes()), cutoff_at(night))
        offered.append(entry)
        notify.send(
            _l(
                "Gancang: a seat is free for the Ijen %(package)s on the %(night)s. It is yours until %(time)s WIB.",
                package=_Localized(entry.package.name_en, entry.package.name_id),
                night=entry.night.isoformat(),
                time=entry.offer_expires_at.astimezone(WIB).strftime("%H:%M"),
            ),
            user=entry.customer,
            url=f"/rides/{entry.package.slug}?date={entry.night.isoformat()}&departure={entry.departure_id}",
        )
    db.session.flush()
    return offered


def sweep(*, now: datetime | None = None) -> None:
    """Job: expire unpaid holds and lapsed offers everywhere, pass freed seats down the waitlist.

    Idempotent; run it every minute (`flask rides sweep`) so seats free up even when nobody looks."""
    now = now or utcnow()
    nights = set(expire_holds(now=now))
    nights |= set(
        db.session.scalars(
            select(WaitlistEntry.night).where(
                or_(
                    and_(WaitlistEntry.status == WaitlistStatus.OFFERED, WaitlistEntry.offer_expires_at <= now),
                    WaitlistEntry.status == WaitlistStatus.WAITING,
                ),
                WaitlistEntry.night >= tonight(now),
            )
        )
    )
    for night in sorted(nights):
        if _lock_night(night) is not None:
            refresh_offers(night, now=now)


# --- booking ---------------------------------------------------------------------------------


def book_ride(
    customer: User,
    *,
    package: RidePackage,
    departure: RideDeparture,
    night: date,
    pickup_address: str,
    latitude: float | None = None,
    longitude: float | None = None,
    token: str,
    now: datetime | None = None,
) -> RideBooking:
    """Hold a seat (a driver) for a few minutes while the tourist pays.

    Same `token` (a double-submitted form) -> the same booking. No seat -> RideFull."""
    now = now or utcnow()
    if departure.package_id != package.id or not departure.active or not package.active:
        raise RideError(_l("That departure is not offered. Choose one of the listed pick-up times."))
    check_night(night, now=now)
    night_row = _lock_night(night)  # every booking for this night waits here, one at a time
    existing = db.session.scalar(
        select(RideBooking).where(RideBooking.customer_id == customer.id, RideBooking.token == token)
    )
    if existing is not None:
        return existing
    if night_row is None:
        raise RideFull(_no_seat_message(night))
    check_night(night, now=now)  # a closure may have been saved while we waited
    refresh_offers(night, now=now)  # lapsed holds and offers pass on; freed seats go to the waitlist first
    offer = open_offer(customer, night, now=now)
    free = _free_drivers(night, now)
    if not free or len(free) - _open_offers(night, now, besides=customer) <= 0:
        raise RideFull(_no_seat_message(night))
    booking = RideBooking(
        customer=customer,
        package=package,
        departure=departure,
        night=night,
        pickup_at=departure.pickup_at(night),
        driver_id=free[0],
        status=BookingStatus.AWAITING_PAYMENT,
        price=package.price,
        pickup_address=pickup_address.strip(),
        latitude=latitude,
        longitude=longitude,
        token=token,
        hold_expires_at=now + timedelta(minutes=hold_minutes()),
        created_at=now,
        updated_at=now,
    )
    booking.events.append(
        BookingEvent(status=BookingStatus.AWAITING_PAYMENT, note="seat held", at=now, by_id=customer.id)
    )
    try:
        with db.session.begin_nested():
            db.session.add(booking)
    except IntegrityError:
        # The unique index caught what the lock should have: still one ride per driver.
        log.warning("ride booking for night %s hit the one-ride-per-driver index", night)
        raise RideFull(_no_seat_message(night)) from None
    if offer is not None:
        offer.status = WaitlistStatus.BOOKED
    db.session.flush()
    return booking


def _no_seat_message(night: date) -> str:
    return _l("Full: every driver is booked for the %(night)s. Join the waitlist?", night=night_label(night))


def start_payment(booking: RideBooking) -> str:
    """The card payment for a hold; returns the shared card page to send the tourist to."""
    if booking.state != BookingStatus.AWAITING_PAYMENT:
        raise RideError(
            _l("This booking is %(status)s: there is nothing to pay.", status=BOOKING_LABELS[booking.state])
        )
    payment = payments.start_payment(
        payable_type=PAYABLE,
        payable_id=booking.id,
        customer=booking.customer,
        amount=booking.price,
        method=PaymentMethod.CARD,
        return_url=booking_path(booking),
    )
    return payments.pay_url(payment)


def payment_of(booking: RideBooking):
    return payments.payment_for(PAYABLE, booking.id)


@payment_succeeded.connect
def _on_payment_succeeded(payment, **_kwargs) -> None:
    if payment.payable_type != PAYABLE:
        return
    booking = db.session.get(RideBooking, payment.payable_id)
    if booking is not None:
        confirm_booking(booking)


def confirm_booking(booking: RideBooking, *, now: datetime | None = None) -> None:
    """Paid: the hold becomes a confirmed ride with its driver and a scheduled courier job.

    Paid after the hold ran out: the seat is taken back if one is still free, else refunded."""
    now = now or utcnow()
    if booking.state not in (BookingStatus.AWAITING_PAYMENT, BookingStatus.EXPIRED):
        if booking.state in (BookingStatus.CANCELLED, BookingStatus.ROUTE_CLOSED):
            _refund(booking, booking.price - booking.refunded_amount, reason="paid after the booking ended")
        return
    _lock_night(booking.night)
    if booking.released_at is not None:
        held = _held_driver_ids(booking.night, now)
        free = [d for d in db.session.scalars(_eligible_drivers(booking.night)) if d not in held]
        spare = len(free) - _open_offers(booking.night, now, besides=booking.customer)
        if closure_for(booking.night) is not None or now >= booking.pickup_at:
            spare = 0  # the route closed (or the night went by) while the hold was lapsed
        if spare <= 0:
            _move(booking, BookingStatus.CANCELLED, note="paid after the hold expired; no seat left", now=now)
            _refund(booking, booking.price, reason="seat no longer available")
            notify.send(
                _l(
                    "Gancang: your Ijen ride hold ran out before the payment and the night is now full. We refunded you in full."
                ),
                user=booking.customer,
                url=booking_path(booking),
            )
            return
        booking.driver_id = booking.driver_id if booking.driver_id in free else free[0]
        booking.released_at = None
        db.session.flush()
    _move(booking, BookingStatus.CONFIRMED, note="paid", now=now)
    booking.hold_expires_at = None
    db.session.flush()
    _request_delivery(booking, now=now)
    driver = db.session.get(User, booking.driver_id)
    notify.send(
        _l(
            "Gancang: your Ijen ride is confirmed. %(driver)s picks you up at %(time)s WIB.",
            driver=driver.name,
            time=_sms_pickup(booking),
        ),
        user=booking.customer,
        url=booking_path(booking),
    )
    notify.send(
        _l(
            "Gancang: new Ijen ride on %(time)s WIB. Pick-up: %(address)s.",
            time=_sms_pickup(booking),
            address=booking.pickup_address,
        ),
        user=driver,
        url=DRIVER_PATH,
    )


def _sms_pickup(booking: RideBooking) -> str:
    """The pick-up time as the customer and driver messages give it: 14/12 00:30 (WIB)."""
    return booking.pickup_at.astimezone(WIB).strftime("%d/%m %H:%M")


def _request_delivery(booking: RideBooking, *, now: datetime) -> None:
    if couriers.find_delivery(Purpose.RIDE, booking.id) is not None:
        return
    customer = booking.customer
    lat, lng = (booking.latitude, booking.longitude) if booking.latitude is not None else BANYUWANGI
    job = Job(
        purpose=Purpose.RIDE,
        pickup=Stop(name=customer.name, phone=customer.phone, address=booking.pickup_address, lat=lat, lng=lng),
        dropoff=PALTUDING,
        window=Window(start=booking.pickup_at, end=booking.pickup_at + timedelta(minutes=30)),
        requirements=Requirements(vehicle=Vehicle.TRAIL),
        reference=booking.reference,
        description=f"Ijen {booking.package.name_en}, 1 rider",
    )
    try:
        with db.session.begin_nested():
            couriers.request_delivery(job, origin_id=booking.id, customer=customer, driver=booking.driver, now=now)
    except couriers.CourierError:
        # e.g. the driver's verification was withdrawn since the hold: the ride stays confirmed
        # (the tourist paid), and the admin sees a ride without a scheduled job to sort out.
        log.exception("ride booking %s: the scheduled ride could not be requested", booking.id)


def delivery_of(booking: RideBooking):
    return couriers.find_delivery(Purpose.RIDE, booking.id)


# --- cancellation, refunds -------------------------------------------------------------------


def refund_due(booking: RideBooking, *, now: datetime | None = None) -> int:
    """The policy: in full up to 24 h before pick-up, half after that, nothing after pick-up."""
    now = now or utcnow()
    if now <= booking.pickup_at - timedelta(hours=24):
        return booking.price
    if now < booking.pickup_at:
        return booking.price // 2
    return 0


def _refund(booking: RideBooking, amount: int, *, reason: str, by: User | None = None) -> int:
    """Give `amount` back (capped at what is left). An unpaid payment is cancelled instead, so
    its card intent can never charge a booking that has ended. Returns the rupiah refunded."""
    payment = payment_of(booking)
    if payment is None:
        return 0
    if payment.state.open:
        payments.refund(payment, reason=reason, by=by)  # cancels it: nothing was charged
        return 0
    if payment.state not in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED):
        return 0
    amount = min(amount, payment.refundable)
    if amount <= 0:
        return 0
    payments.refund(payment, amount=amount, reason=reason, by=by)
    booking.refunded_amount += amount
    return amount


def _end_delivery(booking: RideBooking, *, by: User | None, reason: str) -> None:
    delivery = delivery_of(booking)
    if delivery is not None and not DeliveryStatus(delivery.status).final:
        couriers.cancel_delivery(delivery, by=by, reason=reason)


def cancel_booking(booking: RideBooking, *, by: User, now: datetime | None = None) -> int:
    """The tourist cancels; refunded by the policy. Returns the rupiah refunded."""
    now = now or utcnow()
    if booking.state not in (BookingStatus.AWAITING_PAYMENT, BookingStatus.CONFIRMED):
        raise RideError(
            _l("This booking is %(status)s and can no longer be cancelled.", status=BOOKING_LABELS[booking.state])
        )
    _lock_night(booking.night)
    db.session.refresh(booking)
    if booking.state not in (BookingStatus.AWAITING_PAYMENT, BookingStatus.CONFIRMED):
        raise RideError(
            _l("This booking is %(status)s and can no longer be cancelled.", status=BOOKING_LABELS[booking.state])
        )
    was_paid = booking.state == BookingStatus.CONFIRMED
    _move(booking, BookingStatus.CANCELLED, by=by, note="cancelled by the tourist", now=now)
    refunded = _refund(
        booking, refund_due(booking, now=now) if was_paid else 0, reason="cancelled by the tourist", by=by
    )
    _end_delivery(booking, by=by, reason="ride cancelled by the tourist")
    if was_paid:
        notify.send(
            _l(
                "Gancang: the Ijen ride on %(time)s WIB was cancelled by the tourist. You are free that night.",
                time=_sms_pickup(booking),
            ),
            user=booking.driver,
            url=DRIVER_PATH,
        )
    db.session.flush()
    refresh_offers(booking.night, now=now)
    return refunded


# --- waitlist --------------------------------------------------------------------------------


def join_waitlist(
    customer: User, *, package: RidePackage, departure: RideDeparture, night: date, now: datetime | None = None
) -> WaitlistEntry:
    now = now or utcnow()
    if departure.package_id != package.id or not departure.active:
        raise RideError(_l("That departure is not offered. Choose one of the listed pick-up times."))
    check_night(night, now=now)
    _lock_night(night)
    existing = db.session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.customer_id == customer.id,
            WaitlistEntry.night == night,
            WaitlistEntry.status.in_([WaitlistStatus.WAITING, WaitlistStatus.OFFERED]),
        )
    )
    if existing is not None:
        return existing
    if free_seats(night, now=now, customer=customer) > 0:
        raise RideError(_l("A seat is free on that night: book it now instead of waiting."))
    entry = WaitlistEntry(
        customer=customer, package=package, departure=departure, night=night, created_at=now, updated_at=now
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def leave_waitlist(entry: WaitlistEntry, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    if entry.state not in (WaitlistStatus.WAITING, WaitlistStatus.OFFERED):
        return
    _lock_night(entry.night)
    was_offered = entry.state == WaitlistStatus.OFFERED
    entry.status = WaitlistStatus.LEFT
    db.session.flush()
    if was_offered:
        refresh_offers(entry.night, now=now)


def waitlist_position(entry: WaitlistEntry) -> int:
    ahead = db.session.scalar(
        select(func.count(WaitlistEntry.id)).where(
            WaitlistEntry.night == entry.night,
            WaitlistEntry.status == WaitlistStatus.WAITING,
            or_(
                WaitlistEntry.created_at < entry.created_at,
                and_(WaitlistEntry.created_at == entry.created_at, WaitlistEntry.id < entry.id),
            ),
        )
    )
    return (ahead or 0) + 1


def my_waitlist(customer: User, night: date) -> WaitlistEntry | None:
    return db.session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.customer_id == customer.id,
            WaitlistEntry.night == night,
            WaitlistEntry.status.in_([WaitlistStatus.WAITING, WaitlistStatus.OFFERED]),
        )
    )


# --- route closures --------------------------------------------------------------------------


def close_route(
    *, first_night: date, last_night: date, reason_en: str, reason_id: str, by: User, now: datetime | None = None
) -> tuple[RouteClosure, list[RideBooking]]:
    """Refuse new bookings for those nights; end, refund in full and notify every booking on them."""
    now = now or utcnow()
    if last_night < first_night:
        raise RideError(_l("The last night must be on or after the first night."))
    if last_night < tonight(now):
        raise RideError(_l("Those nights have already passed."))
    if (last_night - first_night).days > 366:
        raise RideError(_l("Close the route for at most a year at a time."))
    if not reason_en.strip() or not reason_id.strip():
        raise RideError(_l("Give the reason in both languages."))
    for night in db.session.scalars(
        select(RideNight.night)
        .where(RideNight.night >= first_night, RideNight.night <= last_night)
        .order_by(RideNight.night)
    ):
        _lock_night(night)
    closure = RouteClosure(
        first_night=first_night,
        last_night=last_night,
        reason_en=reason_en.strip(),
        reason_id=reason_id.strip(),
        created_by_id=by.id,
        created_at=now,
    )
    db.session.add(closure)
    affected = list(
        db.session.scalars(
            select(RideBooking)
            .where(
                RideBooking.night >= first_night,
                RideBooking.night <= last_night,
                RideBooking.status.in_(
                    [BookingStatus.AWAITING_PAYMENT, BookingStatus.CONFIRMED, BookingStatus.DRIVER_ON_THE_WAY]
                ),
            )
            .order_by(RideBooking.id)
        )
    )
    for booking in affected:
        was_paid = booking.state != BookingStatus.AWAITING_PAYMENT
        _move(booking, BookingStatus.ROUTE_CLOSED, by=by, note=closure.reason_en, now=now)
        refunded = _refund(booking, booking.price if was_paid else 0, reason="Ijen route closed", by=by)
        _end_delivery(booking, by=by, reason="Ijen route closed")
        notify.send(
            _l(
                "Gancang: the Ijen route is closed on the night of your ride (%(reason)s). Your booking is cancelled and refunded in full (%(amount)s).",
                reason=_Localized(closure.reason_en, closure.reason_id),
                amount=rupiah(refunded),
            ),
            user=booking.customer,
            url=booking_path(booking),
        )
        if was_paid:
            notify.send(
                _l(
                    "Gancang: the Ijen route is closed on %(night)s; your ride that night is cancelled.",
                    night=booking.night.isoformat(),
                ),
                user=booking.driver,
                url=DRIVER_PATH,
            )
    for lapsed in db.session.scalars(
        select(RideBooking).where(
            RideBooking.night >= first_night,
            RideBooking.night <= last_night,
            RideBooking.status == BookingStatus.EXPIRED,
        )
    ):
        _refund(lapsed, 0, reason="Ijen route closed", by=by)  # its card page can no longer charge
    for entry in db.session.scalars(
        select(WaitlistEntry).where(
            WaitlistEntry.night >= first_night,
            WaitlistEntry.night <= last_night,
            WaitlistEntry.status.in_([WaitlistStatus.WAITING, WaitlistStatus.OFFERED]),
        )
    ):
        entry.status = WaitlistStatus.CLOSED
        notify.send(
            _l(
                "Gancang: the Ijen route is closed on the night you were waiting for (%(reason)s).",
                reason=_Localized(closure.reason_en, closure.reason_id),
            ),
            user=entry.customer,
            url="/rides",
        )
    db.session.flush()
    return closure, affected


def lift_closure(closure: RouteClosure, *, by: User, now: datetime | None = None) -> None:
    now = now or utcnow()
    if closure.lifted_at is None:
        closure.lifted_at = now
        db.session.flush()


# --- drivers ---------------------------------------------------------------------------------


def trail_profile(user: User) -> DriverProfile | None:
    """The user's verified trail-bike profile, or None: only they may ride to Ijen."""
    profile = couriers.verified_driver(user)
    return profile if profile is not None and profile.vehicle == Vehicle.TRAIL else None


def require_trail_driver(user: User) -> DriverProfile:
    profile = couriers.verified_driver(user)
    if profile is None:
        raise RideError(
            _l(
                "Only verified drivers can offer Ijen rides. Register as a driver and wait for the regency to verify you."
            )
        )
    if profile.vehicle != Vehicle.TRAIL:
        raise RideError(_l("Ijen rides need a trail bike. Your verified vehicle is not a trail bike."))
    return profile


def availability(driver: User, nights: list[date]) -> set[date]:
    if not nights:
        return set()
    return set(
        db.session.scalars(
            select(DriverAvailability.night).where(
                DriverAvailability.driver_id == driver.id,
                DriverAvailability.night >= nights[0],
                DriverAvailability.night <= nights[-1],
            )
        )
    )


def booked_nights(driver: User, nights: list[date], *, now: datetime | None = None) -> dict[date, RideBooking]:
    if not nights:
        return {}
    now = now or utcnow()
    bookings = db.session.scalars(
        select(RideBooking).where(
            RideBooking.driver_id == driver.id,
            RideBooking.night >= nights[0],
            RideBooking.night <= nights[-1],
            RideBooking.released_at.is_(None),
        )
    )
    return {b.night: b for b in bookings if not b.hold_expired(now)}


def set_availability(driver: User, night: date, available: bool, *, now: datetime | None = None) -> bool:
    """The driver offers (or withdraws) themselves for a night. Returns whether anything changed."""
    now = now or utcnow()
    require_trail_driver(driver)
    first = tonight(now)
    if night < first:
        raise RideError(_l("That night has already passed."))
    if night > first + timedelta(days=max_days_ahead()):
        raise RideError(_l("You can plan at most %(days)d days ahead.", days=max_days_ahead()))
    row = db.session.scalar(
        select(DriverAvailability).where(DriverAvailability.driver_id == driver.id, DriverAvailability.night == night)
    )
    if available:
        if closure_for(night) is not None:
            raise RideError(_l("The Ijen route is closed that night."))
        _ensure_night(night)
        if row is not None:
            return False
        db.session.add(DriverAvailability(driver_id=driver.id, night=night, created_at=now))
        db.session.flush()
        refresh_offers(night, now=now)
        return True
    if row is None:
        return False
    _lock_night(night)
    if night in booked_nights(driver, [night], now=now):
        raise RideError(_l("You have a ride booked that night. Ask the admin if you cannot make it."))
    db.session.delete(row)
    db.session.flush()
    return True


def driver_rides(driver: User, *, now: datetime | None = None) -> list[RideBooking]:
    """The driver's confirmed rides from tonight on, soonest first."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(RideBooking)
            .where(
                RideBooking.driver_id == driver.id,
                RideBooking.night >= tonight(now),
                RideBooking.status.in_(
                    [BookingStatus.CONFIRMED, BookingStatus.DRIVER_ON_THE_WAY, BookingStatus.RIDING]
                ),
            )
            .order_by(RideBooking.pickup_at)
        )
    )


# The driver's buttons, and the courier moves each one drives on the booking's delivery.
DRIVER_MOVES: dict[BookingStatus, tuple[DeliveryStatus, ...]] = {
    BookingStatus.DRIVER_ON_THE_WAY: (DeliveryStatus.PICKING_UP,),
    BookingStatus.RIDING: (DeliveryStatus.PICKED_UP, DeliveryStatus.DELIVERING),
    BookingStatus.COMPLETED: (DeliveryStatus.DELIVERED,),
    BookingStatus.NO_SHOW: (DeliveryStatus.FAILED,),
}
EARLIEST_START = timedelta(hours=3)


def driver_move(booking: RideBooking, to: BookingStatus, *, by: User, now: datetime | None = None) -> None:
    now = now or utcnow()
    if booking.driver_id != by.id or booking.state == BookingStatus.AWAITING_PAYMENT:
        raise RideError(_l("This is not your ride."))
    if to not in DRIVER_MOVES:
        raise RideError(_l("That is not a step of a ride."))
    if to == BookingStatus.DRIVER_ON_THE_WAY and now < booking.pickup_at - EARLIEST_START:
        raise RideError(_l("Too early: set off at most 3 hours before the pick-up."))
    if to == BookingStatus.NO_SHOW and now < booking.pickup_at:
        raise RideError(_l("Wait until the pick-up time before reporting a no-show."))
    _move(booking, to, by=by, note="driver", now=now)
    delivery = delivery_of(booking)
    if delivery is not None:
        for status in DRIVER_MOVES[to]:
            if DeliveryStatus(delivery.status) != status:
                couriers.mark(
                    delivery, status, by=by, note="ride" if to != BookingStatus.NO_SHOW else "no-show", now=now
                )
    if to == BookingStatus.DRIVER_ON_THE_WAY:
        notify.send(
            _l("Gancang: %(driver)s is on the way to pick you up for Ijen.", driver=by.name),
            user=booking.customer,
            url=booking_path(booking),
        )
    db.session.flush()


# A driver may also move the ride from the courier workspace: the booking follows its delivery.
FOLLOWS_DELIVERY: dict[DeliveryStatus, BookingStatus] = {
    DeliveryStatus.PICKING_UP: BookingStatus.DRIVER_ON_THE_WAY,
    DeliveryStatus.PICKED_UP: BookingStatus.RIDING,
    DeliveryStatus.DELIVERING: BookingStatus.RIDING,
    DeliveryStatus.DELIVERED: BookingStatus.COMPLETED,
    DeliveryStatus.FAILED: BookingStatus.NO_SHOW,
}


@delivery_changed.connect
def _on_delivery_changed(delivery, *, old=None, new=None, **_kwargs) -> None:
    if delivery.purpose != Purpose.RIDE or new is None:
        return
    target = FOLLOWS_DELIVERY.get(DeliveryStatus(new))
    booking = db.session.get(RideBooking, delivery.origin_id)
    if target is None or booking is None or booking.state == target:
        return
    if target in TRANSITIONS[booking.state]:
        _move(booking, target, by=None, note="courier workspace", now=utcnow())
        db.session.flush()


# --- my activity ------------------------------------------------------------------------------


def _activity(user: User, limit: int, before: datetime | None) -> list[activity.ActivityItem]:
    bookings = select(RideBooking).where(RideBooking.customer_id == user.id)
    waits = select(WaitlistEntry).where(WaitlistEntry.customer_id == user.id)
    if before is not None:
        bookings = bookings.where(RideBooking.created_at < before)
        waits = waits.where(WaitlistEntry.created_at < before)
    items = [
        activity.ActivityItem(
            when=b.created_at,
            kind=_("Ijen ride"),
            title=_("%(package)s, pick-up %(time)s", package=b.package.name, time=_wib_short(b.pickup_at)),
            status=b.state.label,
            url=booking_path(b),
            amount=b.price,
            final=b.state.final,
        )
        for b in db.session.scalars(bookings.order_by(RideBooking.created_at.desc()).limit(limit))
    ]
    items += [
        activity.ActivityItem(
            when=w.created_at,
            kind=_("Ijen ride waitlist"),
            title=_("%(package)s, night of %(date)s", package=w.package.name, date=format_date(w.night, "long")),
            status=w.state.label,
            url=f"/rides/{w.package.slug}?date={w.night.isoformat()}",
            final=w.state not in (WaitlistStatus.WAITING, WaitlistStatus.OFFERED),
        )
        for w in db.session.scalars(waits.order_by(WaitlistEntry.created_at.desc()).limit(limit))
    ]
    return sorted(items, key=lambda item: item.when, reverse=True)[:limit]


def _wib_short(moment: datetime) -> str:
    from portal.formatting import wib

    return wib(moment, "short")


activity.register_source(_activity)
