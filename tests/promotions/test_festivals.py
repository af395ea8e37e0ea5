"""The office's festivals and collections: both languages, dates that make sense, ordered warungs."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.promotions import services as promo
from portal.promotions.models import EntryStatus
from tests.food.factories import WarungFactory
from tests.promotions.factories import NOON, CollectionFactory, EntryFactory, FestivalFactory


def fields(**overrides) -> promo.FestivalFields:
    values = {
        "name_id": "Pesta Kuliner Banyuwangi",
        "name_en": "Banyuwangi Food Festival",
        "description_id": "Tiga hari kuliner Osing.",
        "description_en": "Three days of Osing food.",
        "starts_at": NOON,
        "ends_at": NOON + timedelta(days=3),
    }
    return promo.FestivalFields(**{**values, **overrides})


def test_a_festival_gets_a_readable_unique_address(db, promoter):
    first = promo.save_festival(None, fields(), by=promoter)
    second = promo.save_festival(None, fields(), by=promoter)
    assert first.slug == "banyuwangi-food-festival"
    assert second.slug == "banyuwangi-food-festival-2"
    assert first.text("name", "id") == "Pesta Kuliner Banyuwangi"
    assert first.text("name", "en") == "Banyuwangi Food Festival"


def test_a_festival_ending_before_it_starts_is_refused(db, promoter):
    with pytest.raises(promo.PromotionError, match="end after it starts"):
        promo.save_festival(None, fields(ends_at=NOON - timedelta(hours=1)), by=promoter)
    with pytest.raises(promo.PromotionError, match="end after it starts"):
        promo.save_festival(None, fields(ends_at=NOON), by=promoter)


def test_a_collection_ending_before_it_starts_is_refused(db, promoter):
    values = {
        "title_id": "Khas Banyuwangi",
        "title_en": "",
        "description_id": "",
        "description_en": "",
        "starts_on": date(2026, 12, 10),
    }
    with pytest.raises(promo.PromotionError, match="last day cannot come before"):
        promo.save_collection(None, promo.CollectionFields(**values, ends_on=date(2026, 12, 9)), by=promoter)
    one_day = promo.save_collection(None, promo.CollectionFields(**values, ends_on=date(2026, 12, 10)), by=promoter)
    assert one_day.slug == "khas-banyuwangi"
    assert one_day.text("title", "en") == "Khas Banyuwangi"  # no English: the Indonesian shows


def test_a_collection_keeps_the_office_order(db, promoter):
    collection = CollectionFactory()
    a, b, c = WarungFactory(name="A"), WarungFactory(name="B"), WarungFactory(name="C")
    for warung in (a, b, c):
        promo.add_warung(collection, warung)
    with pytest.raises(promo.PromotionError, match="already in"):
        promo.add_warung(collection, b)
    promo.move_warung(collection, c.id, -1)
    promo.move_warung(collection, a.id, -1)  # already first: stays
    assert [w.name for w, _open in promo.collection_warungs(collection, NOON)] == ["A", "C", "B"]
    promo.remove_warung(collection, a.id)
    assert [w.name for w, _open in promo.collection_warungs(collection, NOON)] == ["C", "B"]
    assert [item.position for item in collection.items] == [0, 1]


def test_participants_open_now_first_and_only_approved(db, festival):
    closed = WarungFactory(name="A closed", hours=[])
    open_ = WarungFactory(name="Z open")
    waiting = WarungFactory(name="B waiting")
    EntryFactory(festival=festival, warung=closed)
    EntryFactory(festival=festival, warung=open_)
    EntryFactory(festival=festival, warung=waiting, status=EntryStatus.APPLIED)
    db.session.commit()
    assert [(w.name, is_open) for w, is_open in promo.participants(festival, NOON)] == [
        ("Z open", True),
        ("A closed", False),
    ]


def test_only_running_festivals_are_featured(db):
    past = FestivalFactory(starts_at=NOON - timedelta(days=9), ends_at=NOON - timedelta(days=8))
    coming = FestivalFactory(starts_at=NOON + timedelta(days=3), ends_at=NOON + timedelta(days=4))
    db.session.commit()
    running, featured = promo.current_festivals(NOON)
    assert running == {}
    assert featured == coming
    now = FestivalFactory()
    db.session.commit()
    running, featured = promo.current_festivals(NOON)
    assert list(running) == [now.id]
    assert featured == now
    assert past.id not in running


def test_active_collections_need_a_listed_warung_and_today_in_their_dates(db):
    empty = CollectionFactory()
    over = CollectionFactory(starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 31))
    shown = CollectionFactory()
    db.session.flush()
    promo.add_warung(shown, WarungFactory())
    promo.add_warung(over, WarungFactory())
    db.session.commit()
    assert [(c.id, n) for c, n in promo.active_collections(NOON)] == [(shown.id, 1)]
    assert empty.id != shown.id
