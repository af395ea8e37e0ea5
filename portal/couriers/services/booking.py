"""What the origin domains call: a price, a delivery requested (or handed straight to a ride's
driver), a delivery cancelled."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import generate_password_hash

from portal.accounts.models import User
from portal.couriers import providers
from portal.couriers.contract import DeliveryStatus, Job, ProviderDeclined, ProviderUnavailable, Purpose, Quote
from portal.couriers.fare import job_distance_km, tariff_quote
from portal.couriers.models import Delivery, DeliveryEvent
from portal.couriers.services.deliveries import CourierError, find_delivery, lock, now_or
from portal.couriers.services.dispatcher import dispatch
from portal.couriers.services.drivers import verified_driver
from portal.extensions import db
from portal.jobs import enqueue
from portal.workflow import move

log = logging.getLogger(__name__)
S = DeliveryStatus
PIN_DIGITS = 6


def quote(job: Job, *, now: datetime | None = None) -> Quote:
    """The price the first willing provider would charge; the local tariff if none answers."""
    now = now_or(now)
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
    now = now_or(now)
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
        status=S.initial(),
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
    # Born requested: the first line of the timeline, not a move (there is nothing to move from).
    delivery.events.append(DeliveryEvent(status=S.REQUESTED, at=now, by_id=customer.id if customer else None))
    db.session.flush()
    if driver is not None:
        delivery.provider = providers.LOCAL
        delivery.provider_ref = f"local-delivery-{delivery.id}"
        delivery.courier_id = driver.id
        move(delivery, S.DRIVER_ASSIGNED, now=now, note=driver.name)
    else:
        enqueue(dispatch, delivery.id)
    delivery.issued_pin = pin
    return delivery


def cancel_delivery(delivery: Delivery, *, by: User | None, reason: str, now: datetime | None = None) -> None:
    """Cancel before the goods are picked up; afterwards the courier brings them back (returned)."""
    now = now_or(now)
    lock(delivery)
    status = DeliveryStatus(delivery.status)
    if status == S.CANCELLED:
        return
    if not status.can_become(S.CANCELLED):
        raise CourierError(_l("This delivery can no longer be cancelled: it is %(status)s.", status=status.label))
    provider = providers.get(delivery.provider) if delivery.provider else None
    if provider is not None and delivery.provider_ref and delivery.provider != providers.LOCAL:
        try:
            provider.cancel(delivery.provider_ref)
        except (ProviderUnavailable, ProviderDeclined) as exc:
            log.warning("cancel of %s at %s failed: %s", delivery.id, delivery.provider, exc)
            raise CourierError(_l("The courier service did not confirm the cancellation. Please try again.")) from exc
    move(delivery, S.CANCELLED, by=by, now=now, note=reason[:500])
