"""A warung's part in a festival: the owner opts in or withdraws, the tourism office decides.

Every change is a `move()` with its event (who, when, why), the same trail as every other
admin decision. A warung has at most one entry per festival: opting in twice finds it.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db
from portal.food.models import Warung
from portal.promotions.models import EntryStatus, Festival, FestivalEntry, FestivalEntryEvent
from portal.promotions.services.errors import PromotionError
from portal.workflow import move


def entry_of(festival: Festival, warung: Warung) -> FestivalEntry | None:
    return db.session.scalar(
        select(FestivalEntry).where(FestivalEntry.festival_id == festival.id, FestivalEntry.warung_id == warung.id)
    )


def opt_in(festival: Festival, warung: Warung, *, by: User, now: datetime | None = None) -> FestivalEntry:
    """The owner asks to take part; the office approves. A second click changes nothing and says so."""
    now = now or utcnow()
    if festival.over(now):
        raise PromotionError(_l("This festival is over; it takes no more warungs."))
    if not warung.verified:
        raise PromotionError(_l("Only a verified warung can take part in a festival."))
    entry = entry_of(festival, warung)
    if entry is None:
        entry = FestivalEntry(
            festival_id=festival.id, warung_id=warung.id, status=EntryStatus.APPLIED, created_at=now, updated_at=now
        )
        db.session.add(entry)
        entry.events.append(FestivalEntryEvent(status=EntryStatus.APPLIED, at=now, by_id=by.id))
        db.session.flush()
        return entry
    if entry.state == EntryStatus.WITHDRAWN:
        move(entry, EntryStatus.APPLIED, by=by, now=now)
        return entry
    messages = {
        EntryStatus.APPLIED: _l("You have already applied; the tourism office will decide."),
        EntryStatus.APPROVED: _l("Your warung already takes part in this festival."),
        EntryStatus.REJECTED: _l("The tourism office did not approve your warung for this festival."),
    }
    raise PromotionError(messages[entry.state])


def withdraw(entry: FestivalEntry, *, by: User, now: datetime | None = None) -> None:
    """The owner leaves the festival (before or after approval)."""
    move(entry, EntryStatus.WITHDRAWN, by=by, now=now)


def approve_entry(entry: FestivalEntry, *, by: User, now: datetime | None = None) -> None:
    """The office lets the warung take part: it shows on the festival page and wears the badge."""
    move(entry, EntryStatus.APPROVED, by=by, now=now)


def reject_entry(entry: FestivalEntry, *, by: User, reason: str, now: datetime | None = None) -> None:
    """The office says no (or takes an approved warung out); the owner sees why."""
    reason = (reason or "").strip()
    if not reason:
        raise PromotionError(_l("Say why, so the owner understands."))
    move(entry, EntryStatus.REJECTED, by=by, note=reason, now=now)


def entries_of_warung(warung: Warung) -> dict[int, FestivalEntry]:
    """{festival id: entry} for the owner's page."""
    rows = db.session.scalars(
        select(FestivalEntry).where(FestivalEntry.warung_id == warung.id).options(selectinload(FestivalEntry.events))
    )
    return {entry.festival_id: entry for entry in rows}


def festival_entries(festival: Festival, status: str | None = None) -> list[FestivalEntry]:
    """The office's list: every entry with its warung and its history."""
    stmt = (
        select(FestivalEntry)
        .where(FestivalEntry.festival_id == festival.id)
        .options(
            selectinload(FestivalEntry.warung),
            selectinload(FestivalEntry.events).selectinload(FestivalEntryEvent.by),
        )
        .order_by(FestivalEntry.created_at, FestivalEntry.id)
    )
    if status:
        stmt = stmt.where(FestivalEntry.status == status)
    return list(db.session.scalars(stmt))
