"""What outside providers report (webhooks pushed, statuses pulled), applied so that a replayed,
stale or backwards report changes nothing."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from portal.couriers import providers
from portal.couriers.contract import DeliveryStatus, ProviderUnavailable, Update
from portal.couriers.models import Delivery
from portal.couriers.services.deliveries import load_locked, now_or
from portal.extensions import db
from portal.workflow import move

log = logging.getLogger(__name__)
S = DeliveryStatus


def apply_update(provider_name: str, update_: Update, *, now: datetime | None = None) -> bool:
    """Apply one provider report. Replayed, stale or backwards reports change nothing (False)."""
    now = now_or(now)
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
    new, old = update_.status, DeliveryStatus(delivery.status)
    if new == old:
        changed = False
    elif not old.can_become(new) or (new.rank < old.rank and new not in (S.ON_HOLD, S.NO_DRIVER)):
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
        move(delivery, new, now=now, note=update_.raw_status[:500])
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
        delivery.updated_at = now_or(now)  # asked; nothing new: wait STATUS_PULL_AFTER before asking again
