"""Who looked at or changed personal data, and when: one append-only table for every domain.

Staff views of a patient's prescription and address (medicine), a resident's NIK and KK address
(documents), or a driver's KTP (admin) each write one row; admins read the trail. Rows are
written in the request's transaction (services flush, the request commits), so a view that is
refused or rolled back leaves no trace, and one that is shown always does.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.database import utcnow
from portal.extensions import db

if TYPE_CHECKING:
    from portal.accounts.models import User


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(40))  # "view", "export", "verify", ...
    subject_type: Mapped[str] = mapped_column(String(40))  # "medicine_delivery", "document_request", ...
    subject_id: Mapped[int]
    detail: Mapped[str] = mapped_column(String(300), default="")  # what was seen: "address, receivers"

    actor: Mapped[User | None] = relationship()


def audit(action: str, subject: Any, *, by: User | None, detail: str = "", now: datetime | None = None) -> AuditEntry:
    """Record `by` doing `action` on `subject` (any model with `__tablename__` and `id`)."""
    entry = AuditEntry(
        at=now or utcnow(),
        actor_id=by.id if by is not None else None,
        action=action,
        subject_type=subject_type(subject),
        subject_id=subject.id,
        detail=detail,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def subject_type(subject: Any) -> str:
    """The audit name of a model: its table name in the singular ("medicine_deliveries" -> "medicine_delivery")."""
    name: str = subject.__tablename__
    return name.removesuffix("ies") + "y" if name.endswith("ies") else name.removesuffix("s")


def trail(subject: Any) -> list[AuditEntry]:
    """Everything recorded about one subject, newest first."""
    return list(
        db.session.scalars(
            db.select(AuditEntry)
            .where(AuditEntry.subject_type == subject_type(subject), AuditEntry.subject_id == subject.id)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        )
    )
