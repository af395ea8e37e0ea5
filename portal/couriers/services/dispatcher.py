"""Sending a delivery out: book it with the first provider that takes it (retries with backoff,
then the next provider, in the end the local fleet), give up when nobody takes it, try again.
Jobs here are idempotent on the delivery: running one twice changes nothing."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from portal.accounts.models import User
from portal.couriers import providers
from portal.couriers.contract import DeliveryStatus, ProviderDeclined, ProviderUnavailable
from portal.couriers.models import Delivery
from portal.couriers.services.deliveries import CourierError, add_note, load_locked, lock, now_or
from portal.couriers.services.positions import forget_old_positions
from portal.couriers.services.updates import refresh_from_provider
from portal.extensions import db
from portal.jobs import enqueue, get_queue, run_job
from portal.workflow import move

log = logging.getLogger(__name__)
S = DeliveryStatus
STATUS_PULL_AFTER = 600  # seconds without news from an outside provider before we ask
STUCK_AFTER = 120  # seconds; config COURIER_STUCK_AFTER overrides


def dispatch(delivery_id: int, now: datetime | None = None) -> None:
    """Job: book the delivery with the first provider that takes it.

    A provider that declines is skipped; one that fails (timeout, 5xx, unreadable answer) is
    retried with exponential backoff, and after COURIER_RETRY_ATTEMPTS the next provider (in
    the end, the local fleet) gets the job. Running twice is harmless: only a `requested`
    delivery whose retry is due is dispatched.
    """
    now = now_or(now)
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
            add_note(delivery, f"{provider.name} does not take this job", now=now)
            continue
        try:
            booking = provider.book(job, key=_booking_key(delivery))
        except ProviderDeclined as exc:
            add_note(delivery, f"{provider.name} declined: {exc}", now=now)
            continue
        except ProviderUnavailable as exc:
            delivery.attempts += 1
            if delivery.attempts < config["COURIER_RETRY_ATTEMPTS"]:
                wait = config["COURIER_RETRY_BACKOFF"] * 2 ** (delivery.attempts - 1)
                delivery.retry_at = now + timedelta(seconds=wait)
                delivery.updated_at = now
                add_note(delivery, f"{provider.name} failed ({exc}); retry in {wait}s", now=now)
                db.session.flush()
                _schedule_retry(delivery)
                return
            add_note(delivery, f"{provider.name} kept failing ({exc}); next provider", now=now)
            continue
        delivery.provider = booking.provider
        delivery.provider_ref = booking.ref
        delivery.attempts = 0
        delivery.retry_at = None
        start_at = max(now, delivery.window_start) if delivery.window_start else now
        delivery.no_driver_at = start_at + timedelta(seconds=config["COURIER_NO_DRIVER_AFTER"])
        if booking.status != delivery.status:
            move(delivery, booking.status, now=now, note=booking.provider)
        return


def _booking_key(delivery: Delivery) -> str:
    """Same key for every retry (the provider dedupes), a new one for each re-dispatch round."""
    rounds = sum(1 for event in delivery.events if event.status == S.NO_DRIVER)
    return f"delivery-{delivery.id}" + (f"-{rounds}" if rounds else "")


def _schedule_retry(delivery: Delivery) -> None:
    """With RQ the retry is queued for its time; inline, `sweep` (cron / simulate) runs due retries."""
    if current_app.config["JOBS_MODE"] != "rq" or current_app.testing:
        return
    try:
        get_queue().enqueue_at(delivery.retry_at, run_job, f"{__name__}:dispatch", (delivery.id,), {})
    except Exception:  # noqa: BLE001 - the sweep picks it up anyway
        log.warning("could not schedule retry of delivery %s; the sweep will", delivery.id)


def stuck_cutoff(now: datetime | None = None) -> datetime:
    """A `requested` delivery with no retry planned and untouched since then lost its dispatch job
    (a worker died, Redis was flushed): the sweep sends it out again."""
    return now_or(now) - timedelta(seconds=current_app.config.get("COURIER_STUCK_AFTER", STUCK_AFTER))


def stuck_clause(now: datetime | None = None):
    return and_(Delivery.status == S.REQUESTED, Delivery.retry_at.is_(None), Delivery.updated_at <= stuck_cutoff(now))


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Queue due retries (as dispatch jobs), give up on jobs nobody took in time, and pull quiet
    outside bookings. Safe to run from any process; the caller commits."""
    now = now_or(now)
    retried = 0
    due = db.session.scalars(
        select(Delivery.id).where(
            or_(and_(Delivery.status == S.REQUESTED, Delivery.retry_at <= now), stuck_clause(now))
        )
    ).all()
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
            move(delivery, S.NO_DRIVER, now=now)
    # Outside providers: pull the status of bookings we have not heard about for a while
    # (a lost webhook must not leave a delivery stuck).
    quiet = db.session.scalars(
        select(Delivery.id)
        .where(
            Delivery.provider.not_in(["", providers.LOCAL]),
            Delivery.provider_ref.is_not(None),
            Delivery.status.not_in(list(S.finals())),
            Delivery.updated_at <= now - timedelta(seconds=STATUS_PULL_AFTER),
        )
        .limit(50)
    ).all()
    for delivery_id in quiet:
        refresh_from_provider(delivery_id, now=now)
    forgotten = forget_old_positions(now)  # couriers' positions, 30 days after their job ended
    db.session.flush()
    return {"retried": retried, "no_driver": len(expired), "pulled": len(quiet), "positions_deleted": forgotten}


def redispatch(delivery: Delivery, *, by: User | None, now: datetime | None = None) -> None:
    """After `no_driver` (or a provider gave up): try the whole provider chain again."""
    now = now_or(now)
    lock(delivery)
    if delivery.status != S.NO_DRIVER:
        raise CourierError(_l("Only a delivery without a courier can be sent out again."))
    delivery.provider, delivery.provider_ref, delivery.courier_id = "", None, None
    delivery.courier_name = delivery.courier_phone = None
    delivery.attempts, delivery.retry_at, delivery.no_driver_at = 0, None, None
    move(delivery, S.REQUESTED, by=by, now=now, note="re-dispatch")
    enqueue(dispatch, delivery.id)
