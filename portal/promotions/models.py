"""The regency's promotions of local warungs: curated collections and food festivals.

A `Collection` is an ordered list of warungs shown between two dates ("Khas Banyuwangi"). A
`Festival` is a named period ("Pesta Kuliner Banyuwangi") that warungs take part in: the owner
applies, the tourism office approves, and the festival's page and badge show the approved ones.
Titles and descriptions are kept in both languages; the Indonesian one is the fallback.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.database import utcnow
from portal.extensions import db
from portal.food.models import Warung
from portal.workflow import EventMixin, Status


class Bilingual:
    """`title_id`/`title_en`-style columns read in the visitor's language, Indonesian the fallback."""

    def text(self, field: str, locale: str) -> str:
        english = getattr(self, f"{field}_en", "")
        return english if locale == "en" and english else getattr(self, f"{field}_id")


class Collection(Bilingual, db.Model):
    __tablename__ = "promo_collections"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title_id: Mapped[str] = mapped_column(String(120))
    title_en: Mapped[str] = mapped_column(String(120), default="")
    description_id: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    cover: Mapped[str | None] = mapped_column(String(64))  # a key of portal.food.photos
    starts_on: Mapped[date] = mapped_column(Date)  # WIB dates, both included
    ends_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    items: Mapped[list[CollectionWarung]] = relationship(
        back_populates="collection",
        cascade="all, delete-orphan",
        order_by="(CollectionWarung.position, CollectionWarung.id)",
    )

    def active_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


class CollectionWarung(db.Model):
    """A warung's place in a collection (position 0 first)."""

    __tablename__ = "promo_collection_warungs"
    __table_args__ = (UniqueConstraint("collection_id", "warung_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("promo_collections.id", ondelete="CASCADE"))
    warung_id: Mapped[int] = mapped_column(ForeignKey("warungs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    collection: Mapped[Collection] = relationship(back_populates="items")
    warung: Mapped[Warung] = relationship()


class Festival(Bilingual, db.Model):
    __tablename__ = "promo_festivals"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="dates"),
        Index("ix_promo_festivals_period", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_id: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    description_id: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    cover: Mapped[str | None] = mapped_column(String(64))
    starts_at: Mapped[datetime]  # UTC; entered and shown in WIB
    ends_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    entries: Mapped[list[FestivalEntry]] = relationship(
        back_populates="festival", cascade="all, delete-orphan", order_by="FestivalEntry.id"
    )

    def running(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def over(self, now: datetime) -> bool:
        return self.ends_at <= now


class EntryStatus(Status):
    """A warung's part in a festival: the owner applies (or withdraws), the office decides."""

    APPLIED = "applied", _l("Waiting for approval")
    APPROVED = "approved", _l("Taking part")
    REJECTED = "rejected", _l("Not approved")
    WITHDRAWN = "withdrawn", _l("Withdrawn")


EntryStatus.flow(
    {
        EntryStatus.APPLIED: {EntryStatus.APPROVED, EntryStatus.REJECTED, EntryStatus.WITHDRAWN},
        EntryStatus.APPROVED: {EntryStatus.REJECTED, EntryStatus.WITHDRAWN},
        EntryStatus.WITHDRAWN: {EntryStatus.APPLIED},  # the owner changes their mind
        EntryStatus.REJECTED: (),  # the office's "no" stands for this festival
    }
)


class FestivalEntry(db.Model):
    """One warung in one festival (never two rows: applying twice finds this one)."""

    __tablename__ = "promo_festival_entries"
    __table_args__ = (
        UniqueConstraint("festival_id", "warung_id"),
        # Badges on every card and menu ask "is this warung approved in a running festival?"
        Index("ix_promo_festival_entries_warung_status", "warung_id", "status"),
    )
    statuses: ClassVar[type[Status]] = EntryStatus

    id: Mapped[int] = mapped_column(primary_key=True)
    festival_id: Mapped[int] = mapped_column(ForeignKey("promo_festivals.id", ondelete="CASCADE"))
    warung_id: Mapped[int] = mapped_column(ForeignKey("warungs.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default=EntryStatus.APPLIED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    festival: Mapped[Festival] = relationship(back_populates="entries")
    warung: Mapped[Warung] = relationship()
    events: Mapped[list[FestivalEntryEvent]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="FestivalEntryEvent.id"
    )

    @property
    def state(self) -> EntryStatus:
        return EntryStatus(self.status)


class FestivalEntryEvent(EventMixin, db.Model):
    __tablename__ = "promo_festival_entry_events"
    statuses = EntryStatus

    entry_id: Mapped[int] = mapped_column(ForeignKey("promo_festival_entries.id", ondelete="CASCADE"), index=True)

    entry: Mapped[FestivalEntry] = relationship(back_populates="events")


__all__ = [
    "Collection",
    "CollectionWarung",
    "EntryStatus",
    "Festival",
    "FestivalEntry",
    "FestivalEntryEvent",
]
