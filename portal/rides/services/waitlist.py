"""The waitlist of a full night: a freed seat is offered to the first in line for a while, then
to the next. An open offer keeps its seat for the person it was made to.

Entries change status by plain assignment: they have no event table for `workflow.move` to
write (and nobody is shown a waitlist timeline); the queries below only pick entries whose
current status allows the change (WaitlistStatus.flow).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select

from portal import notify
from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db
from portal.rides.models import RideDeparture, RidePackage, WaitlistEntry, WaitlistStatus
from portal.rides.services.calendar import (
    check_night,
    closure_for,
    cutoff_at,
    night_label,
    offer_minutes,
    sms_time,
    tonight,
)
from portal.rides.services.errors import Localized, RideError
from portal.rides.services.seats import expire_holds, free_drivers, free_seats, lock_night, open_offers

OPEN = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)


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
    ).all():
        entry.status = WaitlistStatus.LAPSED
    db.session.flush()
    if closure_for(night) is not None or now >= cutoff_at(night):
        return []
    spare = len(free_drivers(night, now)) - open_offers(night, now)
    offered = []
    if spare <= 0:
        return offered
    waiting = db.session.scalars(
        select(WaitlistEntry)
        .where(WaitlistEntry.night == night, WaitlistEntry.status == WaitlistStatus.WAITING)
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        .limit(spare)
    ).all()
    for entry in waiting:
        entry.status = WaitlistStatus.OFFERED
        entry.offer_expires_at = min(now + timedelta(minutes=offer_minutes()), cutoff_at(night))
        offered.append(entry)
        notify.send(
            _l(
                "Gancang: a seat is free for the Ijen %(package)s on the %(night)s. It is yours until %(time)s WIB.",
                package=Localized(entry.package.name_en, entry.package.name_id),
                night=night_label(entry.night),
                time=sms_time(entry.offer_expires_at),
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
        if lock_night(night) is not None:
            refresh_offers(night, now=now)


def join_waitlist(
    customer: User, *, package: RidePackage, departure: RideDeparture, night: date, now: datetime | None = None
) -> WaitlistEntry:
    now = now or utcnow()
    if departure.package_id != package.id or not departure.active:
        raise RideError(_l("That departure is not offered. Choose one of the listed pick-up times."))
    check_night(night, now=now)
    lock_night(night)
    existing = my_waitlist(customer, night)
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
    if entry.state not in OPEN:
        return
    lock_night(entry.night)
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
    """The customer's open place on that night's waitlist (joining again returns this one)."""
    return db.session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.customer_id == customer.id,
            WaitlistEntry.night == night,
            WaitlistEntry.status.in_(OPEN),
        )
    )
