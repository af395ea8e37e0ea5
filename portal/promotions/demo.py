"""The regency's promotions for development: a festival running now and a collection.

"Pesta Kuliner Banyuwangi" runs from two days ago to five days ahead, so the home page shows it
on any day `make run` is started; a seeded festival that has ended since is moved forward. The
demo owner's warung takes part (approved by the demo promoter), another waits for a decision.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from portal.accounts.services import find_by_email
from portal.database import utcnow
from portal.extensions import db
from portal.food.demo import draw_dish
from portal.food.models import Warung
from portal.food.photos import store_image
from portal.formatting import WIB, today_wib
from portal.promotions.models import (
    Collection,
    CollectionWarung,
    EntryStatus,
    Festival,
    FestivalEntry,
    FestivalEntryEvent,
)
from portal.promotions.vouchers import demo as vouchers_demo

FESTIVAL_SLUG = "pesta-kuliner-banyuwangi"
APPROVED = ["sego-tempong-bu-sri", "rujak-soto-mbok-nah", "pecel-rawon-pak-amir", "pindang-koyong-bu-yati"]
APPLIED = ["ayam-pedas-kemiren"]
COLLECTION_SLUG = "khas-banyuwangi"
COLLECTION = [
    "rujak-soto-mbok-nah",
    "sego-tempong-bu-sri",
    "pecel-rawon-pak-amir",
    "nasi-cawuk-mak-ti",
    "kue-bagiak-cahaya",
]


def _period(now: datetime) -> tuple[datetime, datetime]:
    today = today_wib(now)
    starts = datetime.combine(today - timedelta(days=2), time(0, 0), tzinfo=WIB)
    ends = datetime.combine(today + timedelta(days=5), time(23, 0), tzinfo=WIB)
    return starts.astimezone(now.tzinfo), ends.astimezone(now.tzinfo)


def _warungs(slugs: list[str]) -> list[Warung]:
    found = {w.slug: w for w in db.session.scalars(select(Warung).where(Warung.slug.in_(slugs)))}
    return [found[slug] for slug in slugs if slug in found]


def _festival(now: datetime) -> None:
    festival = db.session.scalar(select(Festival).where(Festival.slug == FESTIVAL_SLUG))
    starts, ends = _period(now)
    if festival is not None:
        if festival.over(now):
            festival.starts_at, festival.ends_at = starts, ends
        return
    office = find_by_email("promoter@example.com") or find_by_email("admin@example.com")
    festival = Festival(
        slug=FESTIVAL_SLUG,
        name_id="Pesta Kuliner Banyuwangi",
        name_en="Banyuwangi Food Festival",
        description_id=(
            "Sepekan sego tempong, rujak soto dan pecel rawon dari warung-warung lokal. "
            "Pesan dari warung yang ikut, diantar sampai homestay Anda."
        ),
        description_en=(
            "A week of sego tempong, rujak soto and pecel rawon from local warungs, delivered to your homestay."
        ),
        cover=store_image(draw_dish("festival-cover", "Nasi", 720)),
        starts_at=starts,
        ends_at=ends,
        created_by_id=office.id if office else None,
    )
    db.session.add(festival)
    db.session.flush()
    for warung in _warungs(APPROVED + APPLIED):
        status = EntryStatus.APPROVED if warung.slug in APPROVED else EntryStatus.APPLIED
        entry = FestivalEntry(festival_id=festival.id, warung_id=warung.id, status=status)
        db.session.add(entry)
        entry.events.append(FestivalEntryEvent(status=EntryStatus.APPLIED, at=now, by_id=warung.owner_id))
        if status == EntryStatus.APPROVED:
            entry.events.append(
                FestivalEntryEvent(
                    from_status=EntryStatus.APPLIED, status=status, at=now, by_id=office.id if office else None
                )
            )
    db.session.flush()


def _collection(now: datetime) -> None:
    collection = db.session.scalar(select(Collection).where(Collection.slug == COLLECTION_SLUG))
    today = today_wib(now)
    if collection is not None:
        if collection.ends_on < today:
            collection.starts_on, collection.ends_on = today - timedelta(days=7), today + timedelta(days=60)
        return
    collection = Collection(
        slug=COLLECTION_SLUG,
        title_id="Khas Banyuwangi",
        title_en="Banyuwangi Specialities",
        description_id="Masakan Osing yang hanya ada di Banyuwangi, pilihan Dinas Pariwisata.",
        description_en="Osing dishes you find only in Banyuwangi, chosen by the tourism office.",
        cover=store_image(draw_dish("collection-cover", "Rujak", 480)),
        starts_on=today - timedelta(days=7),
        ends_on=today + timedelta(days=60),
    )
    for position, warung in enumerate(_warungs(COLLECTION)):
        collection.items.append(CollectionWarung(warung_id=warung.id, position=position))
    db.session.add(collection)
    db.session.flush()


def seed() -> None:
    now = utcnow()
    _festival(now)
    _collection(now)
    vouchers_demo.seed()  # PESTA10, for the festival just seeded
