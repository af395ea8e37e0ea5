"""Ride packages and their pick-up times, as the admin keeps them."""

from __future__ import annotations

from datetime import time

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.rides.models import RideDeparture, RidePackage, sort_key
from portal.rides.services.errors import RideError

# Path segments under /rides/ that are pages, not packages.
RESERVED_SLUGS = frozenset({"driver", "bookings", "admin", "waitlist"})


def packages(*, include_inactive: bool = False) -> list[RidePackage]:
    stmt = select(RidePackage).order_by(RidePackage.position, RidePackage.id)
    if not include_inactive:
        stmt = stmt.where(RidePackage.active.is_(True))
    return list(db.session.scalars(stmt))


def package_by_slug(slug: str) -> RidePackage | None:
    """The package with its departures, in one query (every caller shows or checks them)."""
    return (
        db.session.scalars(
            select(RidePackage)
            .where(RidePackage.slug == slug, RidePackage.active.is_(True))
            .options(joinedload(RidePackage.departures))
        )
        .unique()
        .one_or_none()
    )


def parse_times(value: str) -> list[time]:
    """ "00:30, 01:00" -> [time(0, 30), time(1, 0)]; raises RideError on anything else."""
    times = []
    for part in value.replace(";", ",").split(","):
        part = part.strip().replace(".", ":")
        if not part:
            continue
        try:
            times.append(time.fromisoformat(part if len(part) > 2 else f"{part}:00"))
        except ValueError:
            raise RideError(
                _l("“%(value)s” is not a time. Write pick-up times like 00:30, 01:00.", value=part)
            ) from None
    if not times:
        raise RideError(_l("Give at least one pick-up time."))
    return sorted(set(times))


def save_package(package: RidePackage | None, *, departures: list[time], **fields) -> RidePackage:
    """Create or update a package; departures no longer offered are switched off, never deleted
    (bookings point at them)."""
    slug = fields.get("slug", "").strip().lower()
    if slug in RESERVED_SLUGS:
        raise RideError(_l("“%(slug)s” is reserved. Choose another short name.", slug=slug))
    clash = db.session.scalar(select(RidePackage.id).where(RidePackage.slug == slug))
    if clash is not None and (package is None or clash != package.id):
        raise RideError(_l("Another package already uses the short name “%(slug)s”.", slug=slug))
    if package is None:
        package = RidePackage()
        db.session.add(package)
    for name, value in fields.items():
        setattr(package, name, value.strip() if isinstance(value, str) else value)
    package.slug = slug
    existing = {d.pickup_time: d for d in package.departures}
    for departure in package.departures:
        departure.active = departure.pickup_time in departures
    for pickup in departures:
        if pickup not in existing:
            package.departures.append(RideDeparture(pickup_time=pickup, sort_key=sort_key(pickup), active=True))
    db.session.flush()
    return package
