from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import factory

from portal.promotions.models import Collection, EntryStatus, Festival, FestivalEntry, FestivalEntryEvent
from tests.factories import BaseFactory
from tests.food.factories import WarungFactory

# Tuesday 24 Nov 2026, 12:00 WIB
NOON = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)


class FestivalFactory(BaseFactory):
    class Meta:
        model = Festival

    slug = factory.Sequence(lambda n: f"pesta-{n}")
    name_id = factory.Sequence(lambda n: f"Pesta Kuliner {n}")
    name_en = factory.Sequence(lambda n: f"Food Festival {n}")
    description_id = "Sego tempong, rujak soto, pecel rawon."
    description_en = "Sego tempong, rujak soto and pecel rawon."
    starts_at = NOON - timedelta(days=1)
    ends_at = NOON + timedelta(days=2)


class EntryFactory(BaseFactory):
    """An entry in the given status, with the event that put it there."""

    class Meta:
        model = FestivalEntry

    festival = factory.SubFactory(FestivalFactory)
    warung = factory.SubFactory(WarungFactory)
    status = EntryStatus.APPROVED

    @factory.post_generation
    def history(self, create: bool, extracted, **kwargs) -> None:
        self.events.append(FestivalEntryEvent(status=self.status, at=NOON))


class CollectionFactory(BaseFactory):
    class Meta:
        model = Collection

    slug = factory.Sequence(lambda n: f"khas-{n}")
    title_id = factory.Sequence(lambda n: f"Khas Banyuwangi {n}")
    title_en = factory.Sequence(lambda n: f"Banyuwangi Specials {n}")
    description_id = "Masakan khas Osing."
    description_en = "Osing dishes."
    starts_on = date(2026, 11, 1)
    ends_on = date(2026, 12, 31)
