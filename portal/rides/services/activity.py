"""Bookings and waitlist places in the user's "my activity" page."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from portal import activity
from portal.accounts.models import User
from portal.extensions import db
from portal.formatting import night_date, wib
from portal.rides.models import BookingStatus, RideBooking, WaitlistEntry
from portal.rides.services.bookings import PAYABLE, booking_path


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
            title=_("%(package)s, pick-up %(time)s", package=b.package.name, time=wib(b.pickup_at)),
            status=b.state.label,
            url=booking_path(b),
            amount=b.price,
            final=b.state.final,
            tone=b.state.tone,
        )
        for b in db.session.scalars(bookings.order_by(RideBooking.created_at.desc()).limit(limit))
    ]
    items += [
        activity.ActivityItem(
            when=w.created_at,
            kind=_("Ijen ride waitlist"),
            title=_("%(package)s, night of %(date)s", package=w.package.name, date=night_date(w.night)),
            status=w.state.label,
            url=f"/rides/{w.package.slug}?date={w.night.isoformat()}",
            final=w.state.final,
            tone=w.state.tone,
        )
        for w in db.session.scalars(waits.order_by(WaitlistEntry.created_at.desc()).limit(limit))
    ]
    return sorted(items, key=lambda item: item.when, reverse=True)[:limit]


activity.register_source(_activity)
activity.covers_payments(PAYABLE)


def _rides_under_way(user_id, now: datetime):
    """A ride whose driver is coming or riding, or a confirmed one whose pick-up is within
    PICKUP_SOON (tonight's, not next week's)."""
    soon = RideBooking.status == BookingStatus.CONFIRMED
    soon = soon & RideBooking.pickup_at.between(now - timedelta(hours=1), now + PICKUP_SOON)
    return select(RideBooking.id, RideBooking.status, RideBooking.updated_at).where(
        RideBooking.customer_id == user_id,
        or_(RideBooking.status.in_([BookingStatus.DRIVER_ON_THE_WAY, BookingStatus.RIDING]), soon),
    )


PICKUP_SOON = timedelta(hours=12)

activity.register_on_its_way(
    activity.OnItsWay(
        name="ride",
        kind=_l("Ijen ride"),
        statuses=BookingStatus,
        query=_rides_under_way,
        url=lambda booking_id: f"/rides/bookings/{booking_id}",
    )
)
