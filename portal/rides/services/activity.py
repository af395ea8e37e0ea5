"""Bookings and waitlist places in the user's "my activity" page."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from portal import activity
from portal.accounts.models import User
from portal.extensions import db
from portal.formatting import night_date, wib
from portal.rides.models import RideBooking, WaitlistEntry
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
        )
        for w in db.session.scalars(waits.order_by(WaitlistEntry.created_at.desc()).limit(limit))
    ]
    return sorted(items, key=lambda item: item.when, reverse=True)[:limit]


activity.register_source(_activity)
activity.covers_payments(PAYABLE)
