"""The festival and collection pages describe each warung in the page's language."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.database import utcnow
from portal.formatting import today_wib
from portal.promotions.models import CollectionWarung
from tests.food.factories import WarungFactory
from tests.promotions.factories import CollectionFactory, EntryFactory, FestivalFactory


@pytest.fixture
def warung(db):
    warung = WarungFactory(
        name="Warung Sego Tempong Bu Sri",
        description="Sego tempong dengan sambal yang nampol.",
        description_en="Sego tempong with sambal that slaps.",
    )
    now = utcnow()
    festival = FestivalFactory(slug="pesta", starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=2))
    EntryFactory(festival=festival, warung=warung)
    today = today_wib(now)  # a collection's days are WIB days
    collection = CollectionFactory(slug="khas", starts_on=today - timedelta(days=1), ends_on=today)
    db.session.flush()
    collection.items.append(CollectionWarung(warung=warung))
    db.session.commit()
    return warung


@pytest.mark.parametrize("path", ["/festivals/pesta", "/collections/khas"])
def test_each_warung_is_described_in_the_pages_language(client, warung, path):
    client.set_cookie("lang", "en")
    english = client.get(path).get_data(as_text=True)
    assert "Sego tempong with sambal that slaps." in english and "sambal yang nampol" not in english
    client.set_cookie("lang", "id")
    indonesian = client.get(path).get_data(as_text=True)
    assert "Sego tempong dengan sambal yang nampol." in indonesian and "that slaps" not in indonesian


def test_a_description_written_in_english_only_is_shown_on_the_indonesian_page_too(client, db, warung):
    warung.description = ""
    db.session.commit()
    client.set_cookie("lang", "id")
    assert "Sego tempong with sambal that slaps." in client.get("/festivals/pesta").get_data(as_text=True)
