"""Every message a user was sent (by SMS or any notify backend), kept for the bell's list."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.database import utcnow
from portal.extensions import db


class Notification(db.Model):
    __tablename__ = "notifications"
    # The bell counts one user's unread rows, the list pages one user's rows newest first.
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)  # as sent, in the language it was sent in
    url: Mapped[str | None] = mapped_column(String(500))  # the page it points to (a path on this site)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    @property
    def unread(self) -> bool:
        return self.read_at is None
