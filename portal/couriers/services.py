"""Courier verbs: quote, request, dispatch (with retries and fallback), accept, mark, cancel.

They flush; the request or the job runner commits. Every status move writes an event row and
then sends `delivery_changed`, so the service that asked for the delivery (food, rides,
documents, medicine) moves its own order in the same transaction.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, event, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import get_history, set_committed_value
from werkzeug.security import check_password_hash, generate_password_hash

from portal import notify
from portal.accounts.models import Role, User, UserRole
from portal.couriers import providers
from portal.couriers.contract import (
    Job,
    ProviderDeclined,
    ProviderUnavailable,
    Purpose,
    Quote,
    Update,
    Vehicle,
)
from portal.couriers.fare import job_distance_km, tariff_quote
from portal.couriers.models import (
    COURIER_TRANSITIONS,
    FINAL,
    PIN_MAX_TRIES,
    TRANSITIONS,
    Delivery,
    DeliveryEvent,
    DeliveryStatus,
    DriverProfile,
    DriverStatus,
)
from portal.couriers.signals import delivery_changed
from portal.database import utcnow
from portal.extensions import db
from portal.workflow import DomainError

log = logging.getLogger(__name__)
S = DeliveryStatus
PIN_DIGITS = 6
STATUS_PULL_AFTER = 600  # seconds without news from an outside provider before we ask
# The moves a courier (or staff on their behalf) makes by hand; the rest come from dispatch.
COURIER_MOVES = frozenset({S.PICKING_UP, S.PICKED_UP, S.DELIVERING, S.DELIVERED, S.FAILED, S.RETURNED})


class CourierError(DomainError):
    """A refusal; str(error) is a translated message for the user.

    Raised with a lazy string, so a job or a test (no request, no locale yet) can raise it and
    whoever shows it renders it in the reader's language."""


def _now(now: datetime | None) -> datetime:
    return now or utcnow()


# --- reading -----------------------------------------------------------------------------------


def find_delivery(purpose: Purpose, origin_id: int) -> Delivery | None:
    """The latest delivery of that order/booking/request (a re-request after a cancel is newer)."""
    return db.session.scalar(
        select(Delivery)
        .where(Delivery.purpose == Purpose(purpose), Delivery.origin_id == origin_id)
        .order_by(Delivery.id.desc())
        .limit(1)
    )


def verified_driver(user: User | None) -> DriverProfile | None:
    if user is None or not getattr(user, "id", None):
        return None
    return db.session.scalar(
        select(DriverProfile).where(DriverProfile.user_id == user.id, DriverProfile.status == DriverStatus.VERIFIED)
    )


def driver_profile(user: User) -> DriverProfile | None:
    return db.session.scalar(select(DriverProfile).where(DriverProfile.user_id == user.id))


def tracking_etag(delivery: Delivery | None, *extra: object) -> str:
    """Changes whenever anything the tracking fragment shows changes (status, courier, ETA, events)."""
    if delivery is None:
        parts: tuple[object, ...] = ("none",)
    else:
        parts = (
            delivery.id,
            delivery.status,
            delivery.updated_at.isoformat() if delivery.updated_at else "",
            delivery.courier_id,
            delivery.courier_name,
            delivery.eta.isoformat() if delivery.eta else "",
            delivery.retry_at is not None,
        )
    digest = hashlib.sha256(repr((*parts, *extra)).encode()).hexdigest()[:20]
    return f"trk-{digest}"


# --- quoting and requesting --------------------------------------------------------------------


def quote(job: Job, *, now: datetime | None = None) -> Quote:
    """The price the first willing provider would charge; the local tariff if none answers."""
    now = _now(now)
    for provider in providers.chain():
        if not provider.supports(job):
            continue
        try:
            return provider.quote(job, now=now)
        except (ProviderUnavailable, ProviderDeclined) as exc:
            log.info("quote from %s failed: %s", provider.name, exc)
    return tariff_quote(providers.LOCAL, job, now=now)


def _open_delivery(purpose: Purpose, origin_id: int) -> Delivery | None:
    delivery = find_delivery(purpose, origin_id)
    return delivery if delivery is not None and not delivery.final else None


def request_delivery(
    job: Job,
    *,
    origin_id: int,
    customer: User | None,
    quote: Quote | None = None,
    driver: User | None = None,
    now: datetime | None = None,
) -> Delivery:
    """Create the delivery and dispatch it after commit (or hand it to `driver` at once).

    Idempotent per origin: while a delivery for the same purpose and origin is open, it is
    returned as it is (without `issued_pin`), so a double click never sends two couriers.
    """
    now = _now(now)
    existing = _open_delivery(job.purpose, origin_id)
    if existing is not None:
        return existing
    profile = None
    if driver is not None:
        profile = verified_driver(driver)
        if profile is None:
            raise CourierError(_l("This driver is not verified."))
    distance = job_distance_km(job)
    if quote is not None and not quote.expired(now):
        fee = quote.fee
    else:
        fee = tariff_quote(providers.LOCAL, job, now=now).fee
    delivery = Delivery(
        purpose=job.purpose,
        origin_id=origin_id,
        status=S.REQUESTED,
        provider="",
        fee=fee,
        distance_km=distance,
        customer_id=customer.id if customer is not None else None,
        job_data=Delivery.job_payload(job),
        vehicle=job.requirements.vehicle,
        medicine_trained=job.requirements.medicine_trained,
        window_start=job.window.start if job.window else None,
        window_end=job.window.end if job.window else None,
        created_at=now,
        updated_at=now,
    )
    if profile is not None and not profile.qualifies_for(delivery):
        raise CourierError(_l("This driver's vehicle or training does not fit this job."))
    pin = None
    if job.requirements.pin:
        pin = "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS))
        delivery.pin_hash = generate_password_hash(pin, method=current_app.config["PASSWORD_HASH_METHOD"])
    db.session.add(delivery)
    _event(delivery, S.REQUESTED, by=customer, now=now)
    db.session.flush()
    if driver is not None:
        delivery.provider = providers.LOCAL
        delivery.provider_ref = f"local-delivery-{delivery.id}"
        delivery.courier_id = driver.id
        _move(delivery, S.DRIVER_ASSIGNED, by=None, now=now, note=driver.name)
    else:
        from portal.jobs import enqueue

        enqueue(dispatch, delivery.id)
    delivery.issued_pin = pin
    return delivery


# --- dispatch: jobs, idempotent on the delivery ------------------------------------------------


def load_locked(delivery_id: int) -> Delivery | None:
    """The delivery, row-locked until commit (PostgreSQL), re-read even if the session had it:
    a status checked on a stale copy lets two requests make the same move twice."""
    return db.session.scalar(
        select(Delivery).where(Delivery.id == delivery_id).with_for_update().execution_options(populate_existing=True)
    )


def lock(delivery: Delivery) -> Delivery:
    """Lock and refresh `delivery` in place (same object) before checking a transition on it."""
    locked = load_locked(delivery.id)
    if locked is not delivery:
        raise RuntimeError(f"delivery {delivery.id} is not in this session")
    return delivery


def dispatch(delivery_id: int, now: datetime | None = None) -> None:
    """Job: book the delivery with the first provider that takes it.

    A provider that declines is skipped; one that fails (timeout, 5xx, unreadable answer) is
    retried with exponential backoff, and after COURIER_RETRY_ATTEMPTS the next provider (in
    the end, the local fleet) gets the job. Running twice is harmless: only a `requested`
    delivery whose retry is due is dispatched.
    """
    now = _now(now)
    delivery = load_locked(delivery_id)
    if delivery is None or delivery.status != S.REQUESTED:
        return
    if delivery.retry_at is not None and delivery.retry_at > now:
        return
    config = current_app.config
    chain = providers.chain()
    names = [p.name for p in chain]
    start = names.index(delivery.provider) if delivery.provider in names else 0
    job = delivery.job
    for provider in chain[start:]:
        if delivery.provider != provider.name:
            delivery.provider, delivery.attempts = provider.name, 0
        if not provider.supports(job):
            _event(delivery, S.REQUESTED, now=now, note=f"{provider.name} does not take this job")
            continue
        try:
            booking = provider.book(job, key=_booking_key(delivery))
        except ProviderDeclined as exc:
            _event(delivery, S.REQUESTED, now=now, note=f"{provider.name} declined: {exc}")
            continue
        except ProviderUnavailable as exc:
            delivery.attempts += 1
            if delivery.attempts < config["COURIER_RETRY_ATTEMPTS"]:
                wait = config["COURIER_RETRY_BACKOFF"] * 2 ** (delivery.attempts - 1)
                delivery.retry_at = now + timedelta(seconds=wait)
                delivery.updated_at = now
                _event(delivery, S.REQUESTED, now=now, note=f"{provider.name} failed ({exc}); retry in {wait}s")
                db.session.flush()
                _schedule_retry(delivery)
                return
            _event(delivery, S.REQUESTED, now=now, note=f"{provider.name} kept failing ({exc}); next provider")
            continue
        delivery.provider = booking.provider
        delivery.provider_ref = booking.ref
        delivery.attempts = 0
        delivery.retry_at = None
        start_at = max(now, delivery.window_start) if delivery.window_start else now
        delivery.no_driver_at = start_at + timedelta(seconds=config["COURIER_NO_DRIVER_AFTER"])
        if booking.status != delivery.status:
            _move(delivery, booking.status, by=None, now=now, note=booking.provider)
        return


def _booking_key(delivery: Delivery) -> str:
    """Same key for every retry (the provider dedupes), a new one for each re-dispatch round."""
    rounds = sum(1 for event in delivery.events if event.status == S.NO_DRIVER)
    return f"delivery-{delivery.id}" + (f"-{rounds}" if rounds else "")


def _schedule_retry(delivery: Delivery) -> None:
    """With RQ the retry is queued for its time; inline, `sweep` (cron / simulate) runs due retries."""
    if current_app.config["JOBS_MODE"] != "rq" or current_app.testing:
        return
    from portal.jobs import get_queue, run_job

    try:
        get_queue().enqueue_at(delivery.retry_at, run_job, f"{__name__}:dispatch", (delivery.id,), {})
    except Exception:  # noqa: BLE001 - the sweep picks it up anyway
        log.warning("could not schedule retry of delivery %s; the sweep will", delivery.id)


STUCK_AFTER = 120  # seconds; config COURIER_STUCK_AFTER overrides


def stuck_cutoff(now: datetime | None = None) -> datetime:
    """A `requested` delivery with no retry planned and untouched since then lost its dispatch job
    (a worker died, Redis was flushed): the sweep sends it out again."""
    return _now(now) - timedelta(seconds=current_app.config.get("COURIER_STUCK_AFTER", STUCK_AFTER))


def stuck_clause(now: datetime | None = None):
    return and_(Delivery.status == S.REQUESTED, Delivery.retry_at.is_(None), Delivery.updated_at <= stuck_cutoff(now))


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Queue due retries (as dispatch jobs), give up on jobs nobody took in time, and pull quiet
    outside bookings. Safe to run from any process; the caller commits."""
    now = _now(now)
    retried = 0
    due = db.session.scalars(
        select(Delivery.id).where(
            or_(and_(Delivery.status == S.REQUESTED, Delivery.retry_at <= now), stuck_clause(now))
        )
    ).all()
    from portal.jobs import enqueue

    for delivery_id in due:
        enqueue(dispatch, delivery_id, now=now)  # after the caller's commit, inline or on RQ
        retried += 1
    expired = db.session.scalars(
        select(Delivery.id).where(
            Delivery.status == S.FINDING_DRIVER,
            Delivery.provider == providers.LOCAL,
            Delivery.courier_id.is_(None),
            Delivery.no_driver_at <= now,
        )
    ).all()
    for delivery_id in expired:
        delivery = load_locked(delivery_id)
        if delivery is not None and delivery.status == S.FINDING_DRIVER and delivery.courier_id is None:
            _move(delivery, S.NO_DRIVER, by=None, now=now)
    # Outside providers: pull the status of bookings we have not heard about for a while
    # (a lost webhook must not leave a delivery stuck).
    quiet = db.session.scalars(
        select(Delivery.id)
        .where(
            Delivery.provider.not_in(["", providers.LOCAL]),
            Delivery.provider_ref.is_not(None),
            Delivery.status.not_in(list(FINAL)),
            Delivery.updated_at <= now - timedelta(seconds=STATUS_PULL_AFTER),
        )
        .limit(50)
    ).all()
    for delivery_id in quiet:
        refresh_from_provider(delivery_id, now=now)
    db.session.flush()
    return {"retried": retried, "no_driver": len(expired), "pulled": len(quiet)}


def redispatch(delivery: Delivery, *, by: User | None, now: datetime | None = None) -> None:
    """After `no_driver` (or a provider gave up): try the whole provider chain again."""
    now = _now(now)
    lock(delivery)
    if delivery.status != S.NO_DRIVER:
        raise CourierError(_l("Only a delivery without a courier can be sent out again."))
    delivery.provider, delivery.provider_ref, delivery.courier_id = "", None, None
    delivery.courier_name = delivery.courier_phone = None
    delivery.attempts, delivery.retry_at, delivery.no_driver_at = 0, None, None
    _move(delivery, S.REQUESTED, by=by, now=now, note="re-dispatch")
    from portal.jobs import enqueue

    enqueue(dispatch, delivery.id)


# --- the local fleet ---------------------------------------------------------------------------


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
            .where(Delivery.courier_id == user.id, Delivery.status.not_in(list(FINAL)))
            .order_by(Delivery.updated_at.desc())
        )
    )


def earnings_today(user: User, *, now: datetime | None = None) -> tuple[int, int]:
    """(rupiah, jobs) delivered by `user` since midnight WIB."""
    from portal.formatting import WIB

    local = _now(now).astimezone(WIB)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    row = db.session.execute(
        select(func.coalesce(func.sum(Delivery.fee), 0), func.count(Delivery.id)).where(
            Delivery.courier_id == user.id, Delivery.status == S.DELIVERED, Delivery.updated_at >= midnight
        )
    ).one()
    return int(row[0]), int(row[1])


def set_online(profile: DriverProfile, online: bool) -> None:
    if online and not profile.verified:
        raise CourierError(_l("Your driver account is not verified yet."))
    profile.online = online
    db.session.flush()


def accept_job(delivery: Delivery, *, driver: User, now: datetime | None = None) -> None:
    """First accept wins: one conditional UPDATE, so two drivers at the same instant cannot both win."""
    now = _now(now)
    profile = verified_driver(driver)
    if profile is None:
        raise CourierError(_l("Your driver account is not verified yet."))
    if not profile.qualifies_for(delivery):
        raise CourierError(_l("This job needs a different vehicle or the medicine-handling training."))
    if not profile.online:
        raise CourierError(_l("Go online to take jobs."))
    result = db.session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery.id,
            Delivery.courier_id.is_(None),
            Delivery.status == S.FINDING_DRIVER,
            Delivery.provider == providers.LOCAL,
        )
        .values(courier_id=driver.id, status=S.DRIVER_ASSIGNED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(delivery)
        raise CourierError(_l("Sorry, another courier already took this job."))
    db.session.refresh(delivery)
    _event(delivery, S.DRIVER_ASSIGNED, by=driver, now=now)
    db.session.flush()
    _after_move(delivery, S.FINDING_DRIVER, S.DRIVER_ASSIGNED)


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
    now = _now(now)
    status = DeliveryStatus(status)
    lock(delivery)
    if status not in COURIER_MOVES:
        raise CourierError(_l("That is not a courier's move."))
    if delivery.provider and delivery.provider != providers.LOCAL:
        raise CourierError(_l("This delivery is handled by %(provider)s.", provider=delivery.provider))
    if by is not None and by.id != delivery.courier_id and not by.has_role(Role.ADMIN):
        raise CourierError(_l("This job is not assigned to you."))
    if status == S.DELIVERED and delivery.status in (S.DRIVER_ASSIGNED, S.PICKING_UP):
        raise CourierError(_l("Mark the job as picked up first: it cannot be delivered before it is picked up."))
    if status not in TRANSITIONS[delivery.status] or status not in COURIER_TRANSITIONS.get(delivery.status, ()):
        raise CourierError(
            _l(
                "This job cannot go from “%(old)s” to “%(new)s”.",
                old=delivery.status.label,
                new=status.label,
            )
        )
    if status == S.DELIVERED:
        receiver = (receiver or "").strip()
        _check_handover(delivery, receiver=receiver, collected=collected)
        if delivery.pin_hash:
            _check_pin(delivery, pin, by=by, now=now)
        note = _record_handover(delivery, receiver=receiver, collected=collected, note=note)
    _move(delivery, status, by=by, now=now, note=note)


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
            _event(delivery, delivery.status, by=by, now=now, note="PIN locked after too many wrong tries")
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
    _event(delivery, delivery.status, by=by, now=utcnow(), note="PIN unlocked by staff")
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


def cancel_delivery(delivery: Delivery, *, by: User | None, reason: str, now: datetime | None = None) -> None:
    """Cancel before the goods are picked up; afterwards the courier brings them back (returned)."""
    now = _now(now)
    lock(delivery)
    if delivery.status == S.CANCELLED:
        return
    if S.CANCELLED not in TRANSITIONS[delivery.status]:
        raise CourierError(
            _l("This delivery can no longer be cancelled: it is %(status)s.", status=delivery.status.label)
        )
    provider = providers.get(delivery.provider) if delivery.provider else None
    if provider is not None and delivery.provider_ref and delivery.provider != providers.LOCAL:
        try:
            provider.cancel(delivery.provider_ref)
        except (ProviderUnavailable, ProviderDeclined) as exc:
            log.warning("cancel of %s at %s failed: %s", delivery.id, delivery.provider, exc)
            raise CourierError(_l("The courier service did not confirm the cancellation. Please try again.")) from exc
    delivery.retry_at = None
    _move(delivery, S.CANCELLED, by=by, now=now, note=reason)


# --- provider updates (webhooks, status pulls) -------------------------------------------------


def apply_update(provider_name: str, update_: Update, *, now: datetime | None = None) -> bool:
    """Apply one provider report. Replayed, stale or backwards reports change nothing (False)."""
    now = _now(now)
    delivery = db.session.scalar(
        select(Delivery)
        .where(Delivery.provider == provider_name, Delivery.provider_ref == update_.ref)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if delivery is None:
        log.info("update for unknown %s booking %s ignored", provider_name, update_.ref)
        return False
    if delivery.provider_updated_at is not None and update_.at < delivery.provider_updated_at:
        return False  # older than what we know; a replay of the same report falls through harmlessly
    new, old = update_.status, delivery.status
    if new == old:
        changed = False
    elif new not in TRANSITIONS[old] or (new.rank < old.rank and new not in (S.ON_HOLD, S.NO_DRIVER)):
        return False
    else:
        changed = True
    delivery.provider_updated_at = update_.at
    if update_.courier_name:
        delivery.courier_name = update_.courier_name
    if update_.courier_phone:
        delivery.courier_phone = update_.courier_phone
    if update_.eta:
        delivery.eta = update_.eta
    delivery.updated_at = now
    if changed:
        _move(delivery, new, by=None, now=now, note=update_.raw_status)
    db.session.flush()
    return changed


def update_to_dict(update_: Update) -> dict:
    """Plain JSON for the job queue (RQ pickles arguments; keep them boring)."""
    return {
        "ref": update_.ref,
        "status": update_.status.value,
        "at": update_.at.isoformat(),
        "raw_status": update_.raw_status,
        "courier_name": update_.courier_name,
        "courier_phone": update_.courier_phone,
        "eta": update_.eta.isoformat() if update_.eta else None,
        "note": update_.note,
    }


def apply_updates(provider_name: str, updates: list[dict]) -> int:
    """Job: apply webhook updates in order; idempotent (a replay changes nothing)."""
    applied = 0
    for data in updates:
        update_ = Update(
            ref=data["ref"],
            status=DeliveryStatus(data["status"]),
            at=datetime.fromisoformat(data["at"]),
            raw_status=data.get("raw_status") or "",
            courier_name=data.get("courier_name"),
            courier_phone=data.get("courier_phone"),
            eta=datetime.fromisoformat(data["eta"]) if data.get("eta") else None,
            note=data.get("note") or "",
        )
        applied += apply_update(provider_name, update_)
    return applied


def refresh_from_provider(delivery_id: int, now: datetime | None = None) -> None:
    """Job: pull the provider's status (when a webhook may have been lost)."""
    delivery = load_locked(delivery_id)
    if delivery is None or delivery.final or not delivery.provider_ref or delivery.provider == providers.LOCAL:
        return
    provider = providers.get(delivery.provider)
    if provider is None:
        return
    try:
        update_ = provider.status(delivery.provider_ref)
    except (ProviderUnavailable, LookupError) as exc:
        log.info("status pull for delivery %s failed: %s", delivery.id, exc)
        return
    if not apply_update(delivery.provider, update_, now=now):
        delivery.updated_at = _now(now)  # asked; nothing new: wait STATUS_PULL_AFTER before asking again


# --- moves and their traces --------------------------------------------------------------------


def _event(
    delivery: Delivery, status: DeliveryStatus, *, now: datetime, by: User | None = None, note: str = ""
) -> None:
    delivery.events.append(DeliveryEvent(status=status, note=note[:500], at=now, by_id=by.id if by else None))


def _move(delivery: Delivery, new: DeliveryStatus, *, by: User | None, now: datetime, note: str = "") -> None:
    old = delivery.status
    if new not in TRANSITIONS[old]:
        raise CourierError(_l("This job cannot go from “%(old)s” to “%(new)s”.", old=old.label, new=new.label))
    delivery.status = new
    delivery.updated_at = now
    if new in FINAL:
        delivery.retry_at = None
    _event(delivery, new, by=by, now=now, note=note)
    db.session.flush()
    _after_move(delivery, old, new)


CUSTOMER_MESSAGES = {
    S.DRIVER_ASSIGNED: _l("Your courier %(courier)s is on the way to pick up your %(what)s."),
    S.PICKED_UP: _l("Your %(what)s has been picked up and is coming to you."),
    S.DELIVERED: _l("Your %(what)s has been delivered. Thank you!"),
    S.NO_DRIVER: _l("We could not find a courier for your %(what)s yet. We will keep trying."),
}


def _after_move(delivery: Delivery, old: DeliveryStatus, new: DeliveryStatus) -> None:
    delivery_changed.send(delivery, old=old, new=new)
    if new == S.CANCELLED and delivery.courier is not None:
        notify.send(
            _l("Job %(id)s was cancelled. You do not need to go.", id=delivery.id),
            user=delivery.courier,
            url=f"/courier/jobs/{delivery.id}",
        )
    # Rides tell their tourists themselves; a "courier" message would confuse them.
    if delivery.purpose == Purpose.RIDE or new not in CUSTOMER_MESSAGES or delivery.customer is None:
        return
    notify.send(
        _l_format(CUSTOMER_MESSAGES[new], delivery),
        user=delivery.customer,
        url=f"/deliveries/{delivery.id}",
    )


class _Lazy:
    """A message rendered in the recipient's language at send time (notify forces the locale)."""

    def __init__(self, message, delivery: Delivery) -> None:
        self.message, self.delivery = message, delivery

    def __str__(self) -> str:
        what = {
            Purpose.FOOD: _("food order"),
            Purpose.DOCUMENT: _("documents"),
            Purpose.MEDICINE: _("medicine"),
            Purpose.RIDE: _("ride"),
        }[Purpose(self.delivery.purpose)]
        return str(self.message) % {"courier": self.delivery.driver_name or "", "what": what}


def _l_format(message, delivery: Delivery) -> _Lazy:
    return _Lazy(message, delivery)


# --- driver applications and verification ------------------------------------------------------


def apply_as_driver(
    user: User,
    *,
    nik_value: str,
    ktp_address: str,
    vehicle: str,
    plate: str,
    photo: str | None,
    languages: list[str],
    medicine_trained: bool,
    now: datetime | None = None,
) -> DriverProfile:
    """A new application, or a fresh try after a rejection. A verified driver cannot re-apply."""
    now = _now(now)
    profile = driver_profile(user)
    if profile is not None and profile.status != DriverStatus.REJECTED:
        raise CourierError(_l("You have already applied."))
    if profile is None:
        profile = DriverProfile(user_id=user.id)
        db.session.add(profile)
    profile.set_nik(nik_value)
    profile.ktp_address = ktp_address.strip()
    profile.vehicle = vehicle
    profile.plate = plate
    profile.photo = photo or profile.photo
    profile.languages = ",".join(languages)
    profile.medicine_trained = medicine_trained
    profile.status = DriverStatus.PENDING
    profile.reject_reason = None
    profile.online = False
    profile.applied_at = now
    db.session.flush()
    log.info("user %s applied as driver (profile %s)", user.id, profile.id)
    return profile


def verify_driver(profile: DriverProfile, *, by: User, now: datetime | None = None) -> None:
    """The admin checked the KTP address is in Banyuwangi (not just the 3510 prefix) and the photo."""
    from portal.accounts.services import grant_role

    if profile.status == DriverStatus.VERIFIED:
        return
    profile.status = DriverStatus.VERIFIED
    profile.reject_reason = None
    profile.verified_at = _now(now)
    profile.verified_by_id = by.id
    grant_role(profile.user, Role.DRIVER, by=by)
    db.session.flush()
    log.info("driver profile %s verified by %s", profile.id, by.id)
    notify.send(
        _l("Your driver account is verified. Open the courier page and go online to take jobs."),
        user=profile.user,
        url="/courier",
    )


# A courier holding the goods: withdrawing them now would leave the parcel with nobody.
CARRIED = frozenset({S.PICKED_UP, S.DELIVERING, S.ON_HOLD})


def _open_local_jobs(user_id: int, *, lock: bool = False) -> list[Delivery]:
    stmt = select(Delivery).where(
        Delivery.courier_id == user_id, Delivery.provider == providers.LOCAL, Delivery.status.not_in(list(FINAL))
    )
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return list(db.session.scalars(stmt.order_by(Delivery.id)))


def _carrying_refusal(user: User, count: int) -> CourierError:
    return CourierError(
        _l(
            "%(name)s is carrying %(n)s picked-up job(s). Wait until they are delivered or brought back, "
            "then withdraw the driver.",
            name=user.name,
            n=count,
        )
    )


def release_jobs(user: User, *, by: User | None, now: datetime | None = None) -> int:
    """Before a driver is withdrawn: jobs not picked up yet go back to the open list (another
    courier takes them); refused while they carry goods. Returns how many were released."""
    now = _now(now)
    jobs = _open_local_jobs(user.id, lock=True)
    carried = [job for job in jobs if job.status in CARRIED]
    if carried:
        raise _carrying_refusal(user, len(carried))
    for job in jobs:
        job.courier_id = None
        job.no_driver_at = now + timedelta(seconds=current_app.config["COURIER_NO_DRIVER_AFTER"])
        _move(job, S.FINDING_DRIVER, by=by, now=now, note="courier withdrawn")
    return len(jobs)


def reject_driver(profile: DriverProfile, *, by: User, reason: str, now: datetime | None = None) -> None:
    """Reject an application, or withdraw a verified driver (their untouched jobs go back to the
    open list; CourierError while they carry picked-up goods)."""
    from portal.accounts.services import revoke_role

    release_jobs(profile.user, by=by, now=now)
    profile.status = DriverStatus.REJECTED
    profile.reject_reason = reason.strip()
    profile.online = False
    profile.verified_at = None
    profile.verified_by_id = by.id
    revoke_role(profile.user, Role.DRIVER, by=by)
    db.session.flush()
    log.info("driver profile %s rejected by %s", profile.id, by.id)
    notify.send(
        _l("Your driver application was not accepted: %(reason)s", reason=profile.reject_reason),
        user=profile.user,
        url="/courier/apply",
    )


@event.listens_for(Session, "before_flush")
def _driver_role_removed(session, flush_context, instances) -> None:
    """The DRIVER role removed elsewhere (admin users page, CLI): keep the driver profile in step
    (withdrawn, offline), and refuse while they hold jobs: reject them on the driver page first,
    which hands untouched jobs back properly."""
    removed = {row.user_id for row in session.deleted if isinstance(row, UserRole) and row.role == Role.DRIVER}
    for user in session.dirty:  # user.roles.remove(...): an orphan, not yet in session.deleted
        if isinstance(user, User):
            history = get_history(user, "roles")
            removed |= {user.id for row in history.deleted if row.role == Role.DRIVER}
    for user_id in removed:
        profile = session.scalar(
            select(DriverProfile).where(DriverProfile.user_id == user_id, DriverProfile.status == DriverStatus.VERIFIED)
        )
        if profile is None or profile.status != DriverStatus.VERIFIED:
            continue  # reject_driver is withdrawing them (in memory), or they never were verified
        jobs = _open_local_jobs(user_id)
        if jobs:
            raise CourierError(
                _l(
                    "%(name)s still has %(n)s open courier job(s). Withdraw them on their driver page first.",
                    name=profile.user.name,
                    n=len(jobs),
                )
            )
        profile.status = DriverStatus.REJECTED
        profile.reject_reason = "driver role removed"
        profile.online = False
        profile.verified_at = None


def reveal_nik(profile: DriverProfile, *, viewer: User) -> str:
    """The full NIK (and with it the KTP address) for staff; every look is written down."""
    from portal.accounts import nik
    from portal.couriers.models import NikView

    db.session.add(NikView(profile_id=profile.id, viewer_id=viewer.id))
    db.session.flush()
    log.info("NIK and KTP address of driver profile %s viewed by %s", profile.id, viewer.id)
    return nik.decrypt(profile.nik_encrypted)


# --- demo motion -------------------------------------------------------------------------------

SIMULATED_NEXT = {
    S.DRIVER_ASSIGNED: S.PICKING_UP,
    S.PICKING_UP: S.PICKED_UP,
    S.PICKED_UP: S.DELIVERING,
    S.DELIVERING: S.DELIVERED,
}


def simulate_step(now: datetime | None = None) -> int:
    """One step for every open local delivery: a verified driver accepts, then picks up, rides,
    delivers. PIN handovers stop before `delivered`: only the recipient knows the PIN."""
    now = _now(now)
    sweep(now=now)
    moved = 0
    drivers = list(
        db.session.scalars(
            select(DriverProfile).where(DriverProfile.status == DriverStatus.VERIFIED).order_by(DriverProfile.id)
        )
    )
    open_deliveries = db.session.scalars(
        select(Delivery)
        .where(Delivery.provider == providers.LOCAL, Delivery.status.in_([S.FINDING_DRIVER, *SIMULATED_NEXT]))
        .order_by(Delivery.id)
        .limit(200)
    ).all()
    for delivery in open_deliveries:
        lock(delivery)  # a courier may have moved it since the list was read
        if delivery.status == S.FINDING_DRIVER:
            profile = next((p for p in drivers if p.qualifies_for(delivery)), None)
            if profile is None:
                continue
            profile.online = True
            try:
                accept_job(delivery, driver=profile.user, now=now)
            except CourierError:
                continue
        elif delivery.status in SIMULATED_NEXT and delivery.provider == providers.LOCAL:
            new = SIMULATED_NEXT[delivery.status]
            if new == S.DELIVERED and delivery.needs_pin:
                continue
            _move(delivery, new, by=None, now=now, note="simulated")
        else:
            continue
        moved += 1
    db.session.flush()
    return moved


# --- "my activity": the jobs a courier did ------------------------------------------------------


def _courier_activity(user: User, limit: int, before: datetime | None) -> list:
    from portal.activity import ActivityItem

    if not getattr(user, "id", None):
        return []
    stmt = select(Delivery).where(Delivery.courier_id == user.id)
    if before is not None:
        stmt = stmt.where(Delivery.updated_at < before)
    stmt = stmt.order_by(Delivery.updated_at.desc()).limit(limit)
    return [
        ActivityItem(
            when=delivery.updated_at,
            kind=_("Courier job"),
            title=f"{delivery.purpose_label}: {delivery.pickup.name}",
            status=delivery.status.label,
            url=f"/courier/jobs/{delivery.id}",
            amount=delivery.fee,
            final=delivery.final,
        )
        for delivery in db.session.scalars(stmt)
    ]


def _register_activity() -> None:
    from portal.activity import register_source

    register_source(_courier_activity)


_register_activity()
