"""What the home page and the warung list put on top: the festival and the collections of now.

Two queries whatever the number of warungs or collections: the festivals not yet over (the
running ones, which the cards' badges point to, and the next to come), the active collections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from portal.database import utcnow
from portal.promotions.models import Collection, CollectionWarung, Festival, FestivalEntry
from portal.promotions.services.collections import active_collections
from portal.promotions.services.festivals import current_festivals


@dataclass
class Showcase:
    now: datetime
    running: dict[int, Festival] = field(default_factory=dict)  # by id, for the badges
    featured: Festival | None = None
    collections: list[tuple[Collection, int]] = field(default_factory=list)

    def badge(self, festival_id: int | None) -> Festival | None:
        return self.running.get(festival_id) if festival_id is not None else None


def showcase(now: datetime | None = None, *, collections: bool = True) -> Showcase:
    now = now or utcnow()
    running, featured = current_festivals(now)
    return Showcase(
        now=now,
        running=running,
        featured=featured,
        collections=active_collections(now) if collections else [],
    )


def showcase_stamp() -> list:
    """Columns (scalar subqueries) that change whenever the showcase or a card's festival badge
    could: festivals, entries (through workflow.move) and collections carry `updated_at`; a
    collection's listed warungs are counted. Whether one is running is a matter of the clock, so
    a page keyed on these is keyed on the time too."""
    return [
        select(func.max(Festival.updated_at)).scalar_subquery(),
        select(func.count(Festival.id)).scalar_subquery(),
        select(func.max(FestivalEntry.updated_at)).scalar_subquery(),
        select(func.count(FestivalEntry.id)).scalar_subquery(),
        select(func.max(Collection.updated_at)).scalar_subquery(),
        select(func.count(Collection.id)).scalar_subquery(),
        select(func.count(CollectionWarung.id)).scalar_subquery(),
        select(func.max(CollectionWarung.id)).scalar_subquery(),
    ]
