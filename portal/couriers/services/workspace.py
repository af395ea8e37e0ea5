"""The local fleet's courier at work: the open jobs they may take, taking one (first accept wins),
each step on the road, and the handover at the door (PIN, receiver, what comes back)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import check_password_hash

from portal import notify
from portal.accounts.models import Role, User, UserRole
from portal.couriers import providers
from portal.couriers.contract import DeliveryStatus, Vehicle
from portal.couriers.models import COURIER_TRANSITIONS, DRIVER_LABELS, PIN_MAX_TRIES, Delivery, DriverProfile
from portal.couriers.services.deliveries import CourierError, add_note, lock, now_or
from portal.couriers.services.drivers import verified_driver
from portal.database import utcnow
from portal.extensions import db
from portal.workflow import move

S = DeliveryStatus
# The moves a courier (or staff on their behalf) makes by hand; the rest come from dispatch.
COURIER_MOVES = frozenset({S.PICKING_UP, S.PICKED_UP, S.DELIVERING, S.DELIVERED, S.FAILED, S.RETURNED})


def open_jobs_for(profile: DriverProfile, *, limit: int = 30) -> list[Delivery]:
    """Jobs waiting for a local courier that this driver may take (vehicle and credential)."""
    if not profile.verified:
        return []
    stmt = select(Delivery).where(
        Delivery.status == S.FINDING_DRIVER, Delivery.provider == providers.LOCAL, Delivery.courier_id.is_(None)
    )
    if profile.vehicle != Vehicle.TRAIL:
        stmt = stmt.where(Delivery.vehicle != Vehicle.TRAIL)
    if not profile.medicine_trained:
        stmt = stmt.where(Delivery.medicine_trained.is_(False))
    stmt = stmt.order_by(func.coalesce(Delivery.window_start, Delivery.created_at), Delivery.id).limit(limit)
    return list(db.session.scalars(stmt))


def may_take(profile: DriverProfile | None, delivery: Delivery) -> bool:
    """The same rule as open_jobs_for, for one job."""
    return (
        profile is not None
        and profile.verified
        and delivery.status == S.FINDING_DRIVER
        and delivery.provider == providers.LOCAL
        and delivery.courier_id is None
        and profile.qualifies_for(delivery)
    )


def my_jobs(user: User) -> list[Delivery]:
    return list(
        db.session.scalars(
            select(Delivery)
            .where(Delivery.courier_id == user.id, Delivery.status.not_in(list(S.finals())))
            .order_by(Delivery.updated_at.desc())
        )
    )


def set_online(profile: DriverProfile, online: bool) -> None:
    if online and not profile.verified:
        raise CourierError(_l("Your driver account is not verified yet."))
    profile.online = online
    db.session.flush()


def accept_job(delivery: Delivery, *, driver: User, now: datetime | None = None) -> None:
    """First accept wins: the job is claimed by one conditional UPDATE (two drivers at the same
    instant cannot both win), then moved to driver_assigned like every other move."""
    now = now_or(now)
    profile = verified_driver(driver)
    if profile is None:
        raise CourierError(_l("Your driver account is not verified yet."))
    if not profile.qualifies_for(delivery):
        raise CourierError(_l("This job needs a different vehicle or the medicine-handling training."))
    if not profile.online:
        raise CourierError(_l("Go online to take jobs."))
    claimed = db.session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery.id,
            Delivery.courier_id.is_(None),
            Delivery.status == S.FINDING_DRIVER,
            Delivery.provider == providers.LOCAL,
        )
        .values(courier_id=driver.id)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(delivery)
    if claimed.rowcount != 1:
        raise CourierError(_l("Sorry, another courier already took this job."))
    move(delivery, S.DRIVER_ASSIGNED, by=driver, now=now)


def mark(
    delivery: Delivery,
    status: DeliveryStatus,
    *,
    by: User | None,
    pin: str | None = None,
    note: str = "",
    now: datetime | None = None,
    receiver: str | None = None,
    collected: bool | None = None,
) -> None:
    """A local courier's move. A wrong PIN is counted (and flushed) before CourierError is raised,
    so callers commit after catching it; PIN_MAX_TRIES wrong tries lock the job and alert staff.

    `delivered` records the handover: `receiver` must be one of the job's receivers when it names
    any, and `collected` (True/False) must be given when the job has something to `collect`.
    Both are checked before the PIN, so a forgotten choice does not cost a PIN try."""
    now = now_or(now)
    status = DeliveryStatus(status)
    lock(delivery)
    current = DeliveryStatus(delivery.status)
    if status not in COURIER_MOVES:
        raise CourierError(_l("That is not a courier's move."))
    if delivery.provider and delivery.provider != providers.LOCAL:
        raise CourierError(_l("This delivery is handled by %(provider)s.", provider=delivery.provider))
    if by is not None and by.id != delivery.courier_id and not by.has_role(Role.ADMIN):
        raise CourierError(_l("This job is not assigned to you."))
    if status == S.DELIVERED and current in (S.DRIVER_ASSIGNED, S.PICKING_UP):
        raise CourierError(_l("Mark the job as picked up first: it cannot be delivered before it is picked up."))
    if not current.can_become(status) or status not in COURIER_TRANSITIONS.get(current, ()):
        raise CourierError(
            _l(
                "This job cannot go from “%(old)s” to “%(new)s”.",
                old=DRIVER_LABELS[current],
                new=DRIVER_LABELS[status],
            )
        )
    if status == S.DELIVERED:
        receiver = (receiver or "").strip()
        _check_handover(delivery, receiver=receiver, collected=collected)
        if delivery.pin_hash:
            _check_pin(delivery, pin, by=by, now=now)
        note = _record_handover(delivery, receiver=receiver, collected=collected, note=note)
    move(delivery, status, by=by, now=now, note=note[:500])


def _check_handover(delivery: Delivery, *, receiver: str, collected: bool | None) -> None:
    if delivery.receivers and receiver not in delivery.receivers:
        raise CourierError(_l("Choose who took the goods: only the people named on the job may."))
    if delivery.collect and collected is None:
        raise CourierError(_l("Say whether you took back %(what)s.", what=delivery.collect))


def _record_handover(delivery: Delivery, *, receiver: str, collected: bool | None, note: str) -> str:
    """Who took the goods and what came back, on the delivery; what came back also in the event's
    note (not the receiver's name: the courier's timeline outlives their view of personal data)."""
    delivery.received_by = receiver[:120]
    delivery.collected = bool(collected) if delivery.collect else None
    parts = [note] if note else []
    if delivery.collect:
        with force_locale("en"):  # kept in English, as every note the portal writes (portal.reasons)
            parts.append(f"{'collected' if collected else 'NOT collected'}: {delivery.collect}")
    return "; ".join(parts)


def _check_pin(delivery: Delivery, pin: str | None, *, by: User | None, now: datetime) -> None:
    """Every wrong PIN is counted, also after the lock (an atomic +1, so parallel tries cannot
    overwrite each other's count); the try that reaches PIN_MAX_TRIES locks the job once."""
    right = bool(pin) and check_password_hash(delivery.pin_hash, pin.strip())
    if right and not delivery.pin_locked:
        return
    if not pin and not delivery.pin_locked:
        raise CourierError(_l("Enter the recipient's PIN to finish this delivery."))
    if not right:
        attempts = db.session.execute(
            update(Delivery)
            .where(Delivery.id == delivery.id)
            .values(pin_attempts=Delivery.pin_attempts + 1, updated_at=now)
            .returning(Delivery.pin_attempts)
            .execution_options(synchronize_session=False)
        ).scalar_one()
        set_committed_value(delivery, "pin_attempts", attempts)
        set_committed_value(delivery, "updated_at", now)
        if attempts >= PIN_MAX_TRIES and not delivery.pin_locked:
            delivery.pin_locked = True
            add_note(delivery, "PIN locked after too many wrong tries", by=by, now=now)
            db.session.flush()
            _alert_staff(delivery)
    if delivery.pin_locked:
        raise CourierError(_l("Too many wrong PINs: this job is locked. Staff have been told and will call you."))
    raise CourierError(_l("Wrong PIN. %(left)s tries left.", left=delivery.pin_tries_left))


def unlock_pin(delivery: Delivery, *, by: User) -> None:
    """Staff, after calling the recipient, let the courier try again."""
    lock(delivery)
    delivery.pin_locked = False
    delivery.pin_attempts = 0
    add_note(delivery, "PIN unlocked by staff", by=by, now=utcnow())
    db.session.flush()


def _alert_staff(delivery: Delivery) -> None:
    admins = db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id).where(UserRole.role == Role.ADMIN)
    )
    for admin in admins:
        notify.send(
            _l(
                "Delivery %(id)s is locked after %(n)s wrong PINs. Please call the courier.",
                id=delivery.id,
                n=PIN_MAX_TRIES,
            ),
            user=admin,
        )
