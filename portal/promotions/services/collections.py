"""Collections: curated, ordered lists of warungs the office shows between two dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db
from portal.food.models import Warung, WarungStatus
from portal.food.services import OPEN_NOW, open_params
from portal.formatting import today_wib
from portal.promotions.models import Collection, CollectionWarung
from portal.promotions.services.errors import PromotionError
from portal.promotions.services.slugs import unique_slug


@dataclass
class CollectionFields:
    title_id: str
    title_en: str
    description_id: str
    description_en: str
    starts_on: date
    ends_on: date
    slug: str = ""


def save_collection(collection: Collection | None, fields: CollectionFields, *, by: User) -> Collection:
    """Create (collection=None) or edit; the last day may not come before the first."""
    title_id = fields.title_id.strip()
    if not title_id:
        raise PromotionError(_l("Give the collection a title in Indonesian."))
    if fields.ends_on < fields.starts_on:
        raise PromotionError(_l("The last day cannot come before the first day."))
    slug = unique_slug(Collection, fields.slug or fields.title_en or title_id, collection.id if collection else None)
    if collection is None:
        collection = Collection(created_by_id=by.id)
        db.session.add(collection)
    collection.slug = slug
    collection.title_id, collection.title_en = title_id, fields.title_en.strip()
    collection.description_id = fields.description_id.strip()
    collection.description_en = fields.description_en.strip()
    collection.starts_on, collection.ends_on = fields.starts_on, fields.ends_on
    collection.updated_at = utcnow()
    db.session.flush()
    return collection


def set_cover(collection: Collection, key: str | None) -> str | None:
    """Put a stored photo (portal.food.photos) on the collection; returns the old key to delete."""
    old, collection.cover = collection.cover, key
    db.session.flush()
    return old


def add_warung(collection: Collection, warung: Warung) -> None:
    """At the end of the list; a warung already in it stays where it is."""
    if not warung.verified:
        raise PromotionError(_l("Only a verified warung can be in a collection."))
    if any(item.warung_id == warung.id for item in collection.items):
        raise PromotionError(_l("%(warung)s is already in this collection.", warung=warung.name))
    position = max((item.position for item in collection.items), default=-1) + 1
    collection.items.append(CollectionWarung(warung=warung, position=position))
    db.session.flush()


def remove_warung(collection: Collection, warung_id: int) -> None:
    collection.items = [item for item in collection.items if item.warung_id != warung_id]
    _renumber(collection)


def move_warung(collection: Collection, warung_id: int, step: int) -> None:
    """One place up (step -1) or down (+1); at either end nothing moves."""
    items = list(collection.items)
    index = next((i for i, item in enumerate(items) if item.warung_id == warung_id), None)
    if index is None:
        raise PromotionError(_l("That warung is not in this collection."))
    other = index + step
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
    _renumber(collection, items)


def _renumber(collection: Collection, items: list[CollectionWarung] | None = None) -> None:
    for position, item in enumerate(items if items is not None else collection.items):
        item.position = position
    db.session.flush()
    db.session.expire(collection, ["items"])


def active_collections(now: datetime | None = None) -> list[tuple[Collection, int]]:
    """Collections showing today (WIB), with how many listed warungs each has (one query)."""
    today = today_wib(now)
    count = (
        select(func.count(CollectionWarung.id))
        .join(Warung, Warung.id == CollectionWarung.warung_id)
        .where(CollectionWarung.collection_id == Collection.id, Warung.status == WarungStatus.VERIFIED)
        .correlate(Collection)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Collection, count.label("warungs"))
        .where(Collection.starts_on <= today, Collection.ends_on >= today)
        .order_by(Collection.starts_on.desc(), Collection.id)
    )
    return [(collection, n) for collection, n in rows if n]


def collection_by_slug(slug: str) -> Collection | None:
    return db.session.scalar(select(Collection).where(Collection.slug == slug))


def collection_warungs(collection: Collection, now: datetime | None = None) -> list[tuple[Warung, bool]]:
    """The listed warungs in the office's order, each with open-now (one query)."""
    stmt = (
        select(Warung, OPEN_NOW.label("open_now"))
        .join(CollectionWarung, CollectionWarung.warung_id == Warung.id)
        .where(CollectionWarung.collection_id == collection.id, Warung.status == WarungStatus.VERIFIED)
        .order_by(CollectionWarung.position, CollectionWarung.id)
    )
    return [(warung, bool(open_now)) for warung, open_now in db.session.execute(stmt, open_params(now))]


def collections_for_office() -> list[Collection]:
    return list(
        db.session.scalars(
            select(Collection).options(selectinload(Collection.items)).order_by(Collection.starts_on.desc())
        )
    )
