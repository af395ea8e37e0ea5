"""The bell: record what portal.notify sends a user, count the unread, mark them read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from portal import notify, shell
from portal.database import utcnow
from portal.extensions import db
from portal.notifications.models import Notification

PER_PAGE = 20


@notify.sent.connect
def record(message: notify.Message, *, path: str | None = None, now: datetime | None = None, **_kwargs) -> None:
    """Keep what a user was sent, in the same transaction as the change that sent it (a rolled
    back order sends nothing and keeps nothing). One-time codes are never kept: a code at rest
    is a code to steal."""
    if message.user_id is None or message.sensitive:
        return
    db.session.add(Notification(user_id=message.user_id, text=message.text, url=path, created_at=now or utcnow()))


def _unread_count(user_id) -> object:
    return (
        select(func.count(Notification.id))
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .scalar_subquery()
    )


shell.register_count("unread", _unread_count)


def page_of(user, page: int = 1) -> tuple[list[Notification], bool]:
    """One page of the user's notifications, newest first, and whether an older page exists."""
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.id.desc())
        .limit(PER_PAGE + 1)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return list(rows[:PER_PAGE]), len(rows) > PER_PAGE


def mark_read(user, notification_id: int | None = None, *, now: datetime | None = None) -> int:
    """Mark one of the user's notifications read, or all of them (`notification_id` None).
    Another user's id changes nothing. Returns how many changed."""
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    changed = db.session.execute(stmt.values(read_at=now or utcnow())).rowcount
    shell.forget()
    return int(changed or 0)


def find(user, notification_id: int) -> Notification | None:
    return db.session.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.user_id == user.id)
    )


__all__ = ["PER_PAGE", "find", "mark_read", "page_of", "record"]
