"""The park closes the Ijen route for some nights: bookings on them end, refunded in full."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import notify, reasons
from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db
from portal.formatting import rupiah
from portal.rides.models import BookingStatus, RideBooking, RideNight, RouteClosure, WaitlistEntry, WaitlistStatus
from portal.rides.services.bookings import DRIVER_PATH, booking_path, end_delivery, refund_booking
from portal.rides.services.calendar import night_label, tonight
from portal.rides.services.errors import Localized, RideError
from portal.rides.services.seats import lock_night
from portal.rides.services.waitlist import OPEN
from portal.workflow import move

# The bookings a closure ends: every one that can still become "route closed".
CLOSABLE = tuple(s for s in BookingStatus if BookingStatus.ROUTE_CLOSED in s.next)


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
    ).all():
        lock_night(night)
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
                RideBooking.status.in_(CLOSABLE),
            )
            .order_by(RideBooking.id)
        )
    )
    for booking in affected:
        was_paid = booking.state != BookingStatus.AWAITING_PAYMENT
        move(booking, BookingStatus.ROUTE_CLOSED, by=by, note=closure.reason_en, now=now)
        refunded = refund_booking(booking, booking.price if was_paid else 0, reason=reasons.ROUTE_CLOSED, by=by)
        end_delivery(booking, by=by, reason=reasons.ROUTE_CLOSED)
        notify.send(
            _l(
                "Gancang: the Ijen route is closed on the night of your ride (%(reason)s). Your booking is cancelled and refunded in full (%(amount)s).",
                reason=Localized(closure.reason_en, closure.reason_id),
                amount=rupiah(refunded),
            ),
            user=booking.customer,
            url=booking_path(booking),
        )
        if was_paid:
            notify.send(
                _l(
                    "Gancang: the Ijen route is closed on the %(night)s; your ride that night is cancelled.",
                    night=night_label(booking.night),
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
    ).all():
        refund_booking(lapsed, 0, reason=reasons.ROUTE_CLOSED, by=by)  # its card page can no longer charge
    for entry in db.session.scalars(
        select(WaitlistEntry).where(
            WaitlistEntry.night >= first_night,
            WaitlistEntry.night <= last_night,
            WaitlistEntry.status.in_(OPEN),
        )
    ).all():
        entry.status = WaitlistStatus.CLOSED
        notify.send(
            _l(
                "Gancang: the Ijen route is closed on the night you were waiting for (%(reason)s).",
                reason=Localized(closure.reason_en, closure.reason_id),
            ),
            user=entry.customer,
            url="/rides",
        )
    db.session.flush()
    return closure, affected


def closure_of(booking: RideBooking) -> RouteClosure | None:
    """The closure that ended this booking (its reason is what the tourist reads), even if staff
    lifted it since: the newest one covering the night made by the time the booking closed."""
    if booking.state != BookingStatus.ROUTE_CLOSED:
        return None
    closed_at = max((e.at for e in booking.events if e.status == BookingStatus.ROUTE_CLOSED), default=None)
    stmt = select(RouteClosure).where(
        RouteClosure.first_night <= booking.night, RouteClosure.last_night >= booking.night
    )
    if closed_at is not None:
        stmt = stmt.where(RouteClosure.created_at <= closed_at)
    return db.session.scalar(stmt.order_by(RouteClosure.created_at.desc(), RouteClosure.id.desc()).limit(1))


def lift_closure(closure: RouteClosure, *, by: User, now: datetime | None = None) -> None:
    now = now or utcnow()
    if closure.lifted_at is None:
        closure.lifted_at = now
        db.session.flush()
