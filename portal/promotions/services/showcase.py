"""What the home page and the warung list put on top: the festival and the collections of now.

Two queries whatever the number of warungs or collections: the festivals not yet over (the
running ones, which the cards' badges point to, and the next to come), the active collections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from portal.database import utcnow
from portal.promotions.models import Collection, Festival
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
