"""Saved addresses: kept from a checkout, offered at the next one, deleted from /account."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db
from portal.maps.models import MAX_SAVED, SavedAddress
from portal.workflow import DomainError


class AddressError(DomainError):
    pass


def saved_addresses(user: User) -> list[SavedAddress]:
    """The user's saved addresses, the most recently used first."""
    if not getattr(user, "is_authenticated", False):
        return []
    stmt = select(SavedAddress).where(SavedAddress.user_id == user.id)
    return list(db.session.scalars(stmt.order_by(SavedAddress.used_at.desc(), SavedAddress.id.desc())))


def saved_address(user: User, address_id: int | None) -> SavedAddress | None:
    """One of the user's own saved addresses (None for anyone else's)."""
    if address_id is None:
        return None
    found = db.session.get(SavedAddress, address_id)
    return found if found is not None and found.user_id == user.id else None


def save_address(
    user: User, label: str, address: str, lat: float, lng: float, *, now: datetime | None = None
) -> SavedAddress:
    """Keep an address under a label; the same label again replaces it (the new pin wins)."""
    label = " ".join((label or "").split())[:40]
    if not label:
        raise AddressError(_l("Give the address a name, e.g. Homestay or Rumah."))
    now = now or utcnow()
    found = db.session.scalar(
        select(SavedAddress).where(SavedAddress.user_id == user.id, func.lower(SavedAddress.label) == label.lower())
    )
    if found is None:
        count = db.session.scalar(select(func.count()).where(SavedAddress.user_id == user.id))
        if count >= MAX_SAVED:
            raise AddressError(
                _l("You have %(n)s saved addresses already. Delete one on your account page first.", n=MAX_SAVED)
            )
        found = SavedAddress(user_id=user.id, label=label, created_at=now)
        db.session.add(found)
    found.address, found.lat, found.lng, found.used_at = address.strip()[:500], lat, lng, now
    db.session.flush()
    return found


def delete_address(user: User, address_id: int) -> str:
    """Delete one of the user's saved addresses; returns its label."""
    found = saved_address(user, address_id)
    if found is None:
        raise AddressError(_l("That saved address is gone already."))
    label = found.label
    db.session.execute(delete(SavedAddress).where(SavedAddress.id == found.id))
    return label
