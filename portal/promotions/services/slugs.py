"""Readable, unique addresses for festivals and collections (`/festivals/pesta-kuliner-banyuwangi`)."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.food.services import slugify


def unique_slug(model, text: str, own_id: int | None = None) -> str:
    base = slugify(text)
    slug, n = base, 1
    while db.session.scalar(select(model.id).where(model.slug == slug, model.id != (own_id or 0))):
        n += 1
        slug = f"{base}-{n}"
    return slug
