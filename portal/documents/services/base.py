"""What every documents verb shares: its error, its clock, and loading a request."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from portal.database import utcnow
from portal.documents.models import DocumentRequest
from portal.extensions import db
from portal.workflow import DomainError

PAYABLE = "document_request"  # payments' payable_type for a request's delivery fee


class DocumentError(DomainError):
    """A refusal the resident or clerk can act on; str() is a translated message."""


def now_or(now: datetime | None) -> datetime:
    return now or utcnow()


def locked(request: DocumentRequest) -> DocumentRequest:
    """Re-read the row under a lock (PostgreSQL) before a move: two clerks pressing at once make
    one move, and the second is told what happened instead of repeating it."""
    db.session.scalar(
        select(DocumentRequest)
        .where(DocumentRequest.id == request.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return request
