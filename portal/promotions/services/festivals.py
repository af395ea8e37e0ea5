"""Festivals: the office creates and edits them; visitors see the running one and its warungs.

A warung "wears" a festival while it is approved in a festival that runs now: `festival_of()`
is that question as a correlated subquery, so a list of warungs or a menu page asks it inside
the query it already makes (no query per card).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, bindparam, case, select
from sqlalchemy.orm import selectinload

from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db
from portal.food.models import Warung, WarungStatus
from portal.food.services import OPEN_NOW, open_params
from portal.promotions.models import EntryStatus, Festival, FestivalEntry
from portal.promotions.services.errors import PromotionError
from portal.promotions.services.slugs import unique_slug


@dataclass
class FestivalFields:
    name_id: str
    name_en: str
    description_id: str
    description_en: str
    starts_at: datetime
    ends_at: datetime
    slug: str = ""


def save_festival(festival: Festival | None, fields: FestivalFields, *, by: User) -> Festival:
    """Create (festival=None) or edit; the end must come after the start."""
    name_id = fields.name_id.strip()
    if not name_id:
        raise PromotionError(_l("Give the festival a name in Indonesian."))
    if fields.ends_at <= fields.starts_at:
        raise PromotionError(_l("The festival must end after it starts."))
    slug = unique_slug(Festival, fields.slug or fields.name_en or name_id, festival.id if festival else None)
    if festival is None:
        festival = Festival(created_by_id=by.id)
        db.session.add(festival)
    festival.slug = slug
    festival.name_id, festival.name_en = name_id, fields.name_en.strip()
    festival.description_id, festival.description_en = fields.description_id.strip(), fields.description_en.strip()
    festival.starts_at, festival.ends_at = fields.starts_at, fields.ends_at
    festival.updated_at = utcnow()
    db.session.flush()
    return festival


def festival_of(column=None):
    """The id of a running festival the row's warung takes part in (the one ending first), or
    NULL. Correlated on Warung.id; run with a bind parameter `now`."""
    now = bindparam("now", type_=DateTime(timezone=True))
    return (
        select(column if column is not None else Festival.id)
        .join(FestivalEntry, FestivalEntry.festival_id == Festival.id)
        .where(
            FestivalEntry.warung_id == Warung.id,
            FestivalEntry.status == EntryStatus.APPROVED,
            Festival.starts_at <= now,
            Festival.ends_at > now,
        )
        .order_by(Festival.ends_at, Festival.id)
        .limit(1)
        .correlate(Warung)
        .scalar_subquery()
    )


def festival_stamp():
    """The same festival's `updated_at`: a cached page showing its badge is keyed on it."""
    return festival_of(Festival.updated_at)


def festival_by_id(festival_id: int | None) -> Festival | None:
    return db.session.get(Festival, festival_id) if festival_id else None


def current_festivals(now: datetime | None = None) -> tuple[dict[int, Festival], Festival | None]:
    """The festivals running now, by id (what the badges on a page point to), and the one to put
    on the home page: the running one that started last, else the next to come. One query: the
    festivals not yet over, a handful in a year."""
    now = now or utcnow()
    ahead = db.session.scalars(select(Festival).where(Festival.ends_at > now).order_by(Festival.starts_at, Festival.id))
    running: dict[int, Festival] = {}
    coming: Festival | None = None
    for festival in ahead:
        if festival.starts_at <= now:
            running[festival.id] = festival
        elif coming is None:
            coming = festival
    featured = max(running.values(), key=lambda f: (f.starts_at, f.id)) if running else coming
    return running, featured


def festival_by_slug(slug: str) -> Festival | None:
    return db.session.scalar(select(Festival).where(Festival.slug == slug))


def participants(festival: Festival, now: datetime | None = None) -> list[tuple[Warung, bool]]:
    """Approved, verified warungs of the festival, open ones first, then by name (one query)."""
    params = open_params(now)
    stmt = (
        select(Warung, OPEN_NOW.label("open_now"))
        .join(FestivalEntry, FestivalEntry.warung_id == Warung.id)
        .where(
            FestivalEntry.festival_id == festival.id,
            FestivalEntry.status == EntryStatus.APPROVED,
            Warung.status == WarungStatus.VERIFIED,
        )
        .order_by(case((OPEN_NOW, 0), else_=1), Warung.name, Warung.id)
    )
    return [(warung, bool(open_now)) for warung, open_now in db.session.execute(stmt, params)]


def festivals_for_office() -> list[Festival]:
    return list(
        db.session.scalars(
            select(Festival).options(selectinload(Festival.entries)).order_by(Festival.starts_at.desc(), Festival.id)
        )
    )


def open_festivals(now: datetime | None = None) -> list[Festival]:
    """What an owner may still join: festivals that have not ended."""
    now = now or utcnow()
    return list(db.session.scalars(select(Festival).where(Festival.ends_at > now).order_by(Festival.starts_at)))
