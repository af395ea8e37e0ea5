"""A booking's life: the hold, the card payment, the confirmed ride with its scheduled courier
job, and its end by the tourist's cancellation with the refund the policy gives.

Verbs flush; the request or job commits.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import notify, reasons
from portal.accounts.models import User
from portal.couriers import services as couriers
from portal.couriers.contract import Job, Purpose, Requirements, Stop, Vehicle, Window
from portal.couriers.models import DeliveryStatus, DriverProfile
from portal.database import utcnow
from portal.extensions import db
from portal.formatting import WIB, clock, short_day
from portal.payments import services as payments
from portal.payments.models import PaymentMethod, PaymentStatus
from portal.payments.signals import payment_succeeded
from portal.rides.models import BookingEvent, BookingStatus, RideBooking, RideDeparture, RidePackage, WaitlistStatus
from portal.rides.services.calendar import check_night, closure_for, hold_minutes, night_label
from portal.rides.services.errors import Lazy, RideError, RideFull
from portal.rides.services.seats import free_drivers, lock_night, open_offers
from portal.rides.services.waitlist import open_offer, refresh_offers
from portal.workflow import move

log = logging.getLogger(__name__)

PAYABLE = "ride_booking"
# Paltuding, the Ijen trailhead where every ride goes.
PALTUDING = Stop(
    name="Paltuding (Kawah Ijen)", phone="", address="Paltuding, Licin, Banyuwangi", lat=-8.0306, lng=114.2378
)
# Where the pin falls when the tourist gives only an address (the town centre).
BANYUWANGI = (-8.2192, 114.3691)

# Paths, not url_for: notifications are also sent from jobs and the CLI, outside any request,
# and these URLs are stable (DESIGN.md's URL map).
DRIVER_PATH = "/rides/driver"


def booking_path(booking: RideBooking) -> str:
    return f"/rides/bookings/{booking.id}"


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
    night_row = lock_night(night)  # every booking for this night waits here, one at a time
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
    free = free_drivers(night, now)
    if not free or len(free) - open_offers(night, now, besides=customer) <= 0:
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
        raise RideError(_l("This booking is %(status)s: there is nothing to pay.", status=booking.state.label))
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
            refund_booking(booking, booking.price - booking.refunded_amount, reason=reasons.PAID_AFTER_BOOKING_ENDED)
        return
    lock_night(booking.night)
    if booking.released_at is not None:
        free = free_drivers(booking.night, now)
        spare = len(free) - open_offers(booking.night, now, besides=booking.customer)
        if closure_for(booking.night) is not None or now >= booking.pickup_at:
            spare = 0  # the route closed (or the night went by) while the hold was lapsed
        if spare <= 0:
            move(booking, BookingStatus.CANCELLED, note="paid after the hold expired; no seat left", now=now)
            refund_booking(booking, booking.price, reason=reasons.SEAT_GONE)
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
    move(booking, BookingStatus.CONFIRMED, note="paid", now=now)
    booking.hold_expires_at = None
    db.session.flush()
    _request_delivery(booking, now=now)
    driver = db.session.get(User, booking.driver_id)
    notify.send(
        _l(
            "Gancang: your Ijen ride is confirmed. %(driver)s picks you up at %(time)s WIB.",
            driver=driver.name,
            time=sms_pickup(booking),
        ),
        user=booking.customer,
        url=booking_path(booking),
    )
    notify.send(
        _l(
            "Gancang: new Ijen ride on %(time)s WIB. Pick-up: %(address)s.",
            time=sms_pickup(booking),
            address=booking.pickup_address,
        ),
        user=driver,
        url=DRIVER_PATH,
    )


def sms_pickup(booking: RideBooking) -> Lazy:
    """The pick-up as the customer and driver messages give it, in the reader's language when
    the message is rendered: "Tue 15 Dec 00:30" / "Sel, 15 Des 00.30" (then "WIB")."""
    pickup = booking.pickup_at.astimezone(WIB)
    return Lazy(lambda: f"{short_day(pickup.date())} {clock(pickup.time())}")


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
        description=_l("Ijen %(package)s, 1 rider", package=Lazy(lambda: booking.package.name)),
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


def driver_profile(booking: RideBooking) -> DriverProfile | None:
    """The driver's card (photo, plate, languages) the tourist sees once the ride is paid for."""
    if booking.state in (BookingStatus.AWAITING_PAYMENT, BookingStatus.EXPIRED):
        return None
    return db.session.scalar(select(DriverProfile).where(DriverProfile.user_id == booking.driver_id))


# --- cancellation and refunds ---------------------------------------------------------------


def refund_due(booking: RideBooking, *, now: datetime | None = None) -> int:
    """The policy: in full up to 24 h before pick-up, half after that, nothing after pick-up."""
    now = now or utcnow()
    if now <= booking.pickup_at - timedelta(hours=24):
        return booking.price
    if now < booking.pickup_at:
        return booking.price // 2
    return 0


def refund_booking(booking: RideBooking, amount: int, *, reason: str, by: User | None = None) -> int:
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


def end_delivery(booking: RideBooking, *, by: User | None, reason: str) -> None:
    delivery = delivery_of(booking)
    if delivery is not None and not DeliveryStatus(delivery.status).final:
        couriers.cancel_delivery(delivery, by=by, reason=reason)


# What the tourist may still cancel: once the driver set off, only the driver or the admin ends it.
CANCELLABLE = (BookingStatus.AWAITING_PAYMENT, BookingStatus.CONFIRMED)


def _check_cancellable(booking: RideBooking) -> None:
    if booking.state not in CANCELLABLE:
        raise RideError(_l("This booking is %(status)s and can no longer be cancelled.", status=booking.state.label))


def cancel_booking(booking: RideBooking, *, by: User, now: datetime | None = None) -> int:
    """The tourist cancels; refunded by the policy. Returns the rupiah refunded."""
    now = now or utcnow()
    _check_cancellable(booking)
    lock_night(booking.night)
    db.session.refresh(booking)  # as it is now that we hold the night: the driver may have set off
    _check_cancellable(booking)
    was_paid = booking.state == BookingStatus.CONFIRMED
    move(booking, BookingStatus.CANCELLED, by=by, note="cancelled by the tourist", now=now)
    refunded = refund_booking(
        booking, refund_due(booking, now=now) if was_paid else 0, reason=reasons.CANCELLED_BY_TOURIST, by=by
    )
    end_delivery(booking, by=by, reason="ride cancelled by the tourist")
    if was_paid:
        notify.send(
            _l(
                "Gancang: the Ijen ride on %(time)s WIB was cancelled by the tourist. You are free that night.",
                time=sms_pickup(booking),
            ),
            user=booking.driver,
            url=DRIVER_PATH,
        )
    db.session.flush()
    refresh_offers(booking.night, now=now)
    return refunded
