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
from sqlalchemy import func, select, update
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
)
from portal.couriers.fare import job_distance_km, tariff_quote
from portal.couriers.models import (
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

log = logging.getLogger(__name__)
S = DeliveryStatus
PIN_DIGITS = 6
# The moves a courier (or staff on their behalf) makes by hand; the rest come from dispatch.
COURIER_MOVES = frozenset({S.PICKING_UP, S.PICKED_UP, S.DELIVERING, S.DELIVERED, S.FAILED, S.RETURNED})


class CourierError(Exception):
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
    pin = None
    if job.requirements.pin:
        pin = "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS))
        delivery.pin_hash = generate_password_hash(pin, method=current_app.config["PASSWORD_HASH_METHOD"])
    db.session.add(delivery)
    _event(delivery, S.REQUESTED, by=customer, now=now)
    db.session.flush()
    if driver is not None:
        if not profile.qualifies_for(delivery):
            raise CourierError(_l("This driver's vehicle or training does not fit this job."))
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


def _load_locked(delivery_id: int) -> Delivery | None:
    return db.session.scalar(select(Delivery).where(Delivery.id == delivery_id).with_for_update())


def dispatch(delivery_id: int, now: datetime | None = None) -> None:
    """Job: book the delivery with the first provider that takes it.

    A provider that declines is skipped; one that fails (timeout, 5xx, unreadable answer) is
    retried with exponential backoff, and after COURIER_RETRY_ATTEMPTS the next provider (in
    the end, the local fleet) gets the job. Running twice is harmless: only a `requested`
    delivery whose retry is due is dispatched.
    """
    now = _now(now)
    delivery = _load_locked(delivery_id)
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
            booking = provider.book(job, key=f"delivery-{delivery.id}")
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


def _schedule_retry(delivery: Delivery) -> None:
    """With RQ the retry is queued for its time; inline, `sweep` (cron / simulate) runs due retries."""
    if current_app.config["JOBS_MODE"] != "rq" or current_app.testing:
        return
    from portal.jobs import get_queue, run_job

    try:
        get_queue().enqueue_at(delivery.retry_at, run_job, f"{__name__}:dispatch", (delivery.id,), {})
    except Exception:  # noqa: BLE001 - the sweep picks it up anyway
        log.warning("could not schedule retry of delivery %s; the sweep will", delivery.id)


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Run due retries and give up on jobs nobody took in time. Safe to run from any process."""
    now = _now(now)
    retried = 0
    due = db.session.scalars(select(Delivery.id).where(Delivery.status == S.REQUESTED, Delivery.retry_at <= now)).all()
    for delivery_id in due:
        dispatch(delivery_id, now=now)
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
        delivery = _load_locked(delivery_id)
        if delivery is not None and delivery.status == S.FINDING_DRIVER and delivery.courier_id is None:
            _move(delivery, S.NO_DRIVER, by=None, now=now)
    db.session.flush()
    return {"retried": retried, "no_driver": len(expired)}


def redispatch(delivery: Delivery, *, by: User | None, now: datetime | None = None) -> None:
    """After `no_driver` (or a provider gave up): try the whole provider chain again."""
    now = _now(now)
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
    stmt = (
        select(Delivery)
        .where(Delivery.status == S.FINDING_DRIVER, Delivery.provider == providers.LOCAL)
        .where(Delivery.courier_id.is_(None))
        .order_by(func.coalesce(Delivery.window_start, Delivery.created_at), Delivery.id)
        .limit(limit * 3)
    )
    return [d for d in db.session.scalars(stmt) if profile.qualifies_for(d)][:limit]


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
) -> None:
    """A local courier's move. A wrong PIN is counted (and flushed) before CourierError is raised,
    so callers commit after catching it; PIN_MAX_TRIES wrong tries lock the job and alert staff."""
    now = _now(now)
    status = DeliveryStatus(status)
    if status not in COURIER_MOVES:
        raise CourierError(_l("That is not a courier's move."))
    if delivery.provider and delivery.provider != providers.LOCAL:
        raise CourierError(_l("This delivery is handled by %(provider)s.", provider=delivery.provider))
    if by is not None and by.id != delivery.courier_id and not by.has_role(Role.ADMIN):
        raise CourierError(_l("This job is not assigned to you."))
    if status not in TRANSITIONS[delivery.status]:
        raise CourierError(
            _l(
                "This job cannot go from “%(old)s” to “%(new)s”.",
                old=delivery.status.label,
                new=status.label,
            )
        )
    if status == S.DELIVERED and delivery.pin_hash:
        _check_pin(delivery, pin, by=by, now=now)
    _move(delivery, status, by=by, now=now, note=note)


def _check_pin(delivery: Delivery, pin: str | None, *, by: User | None, now: datetime) -> None:
    if delivery.pin_locked:
        raise CourierError(_l("Too many wrong PINs: this job is locked. Staff have been told and will call you."))
    if pin and check_password_hash(delivery.pin_hash, pin.strip()):
        return
    delivery.pin_attempts += 1
    delivery.updated_at = now
    if delivery.pin_attempts >= PIN_MAX_TRIES:
        delivery.pin_locked = True
        _event(delivery, delivery.status, by=by, now=now, note="PIN locked after too many wrong tries")
        db.session.flush()
        _alert_staff(delivery)
        raise CourierError(_l("Too many wrong PINs: this job is locked. Staff have been told and will call you."))
    db.session.flush()
    raise CourierError(
        _l("Wrong PIN. %(left)s tries left.", left=delivery.pin_tries_left)
        if pin
        else _l("Enter the recipient's PIN to finish this delivery.")
    )


def unlock_pin(delivery: Delivery, *, by: User) -> None:
    """Staff, after calling the recipient, let the courier try again."""
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
    )
    if delivery is None:
        log.info("update for unknown %s booking %s ignored", provider_name, update_.ref)
        return False
    if delivery.provider_updated_at is not None and update_.at <= delivery.provider_updated_at:
        return False
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


def refresh_from_provider(delivery_id: int) -> None:
    """Job: pull the provider's status (when a webhook may have been lost)."""
    delivery = db.session.get(Delivery, delivery_id)
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
    apply_update(delivery.provider, update_)


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
