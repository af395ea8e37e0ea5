"""The MPP clerk's side: the queue, checking a request (and leaving a trace of every look at its
personal data), and moving it on: verified, incomplete, rejected, ready, sent electronically,
and what happens to a document that came back."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal import notify, reasons
from portal.accounts import nik
from portal.accounts.models import User
from portal.audit import AuditEntry, audit, subject_type
from portal.documents.models import DocumentRequest, DocumentStatus, DocumentType
from portal.documents.services import workdays
from portal.documents.services.base import DocumentError, locked, now_or
from portal.documents.services.delivery import open_delivery, release_payment
from portal.extensions import db
from portal.workflow import move

S = DocumentStatus
#: What the queue shows unless a status is chosen: everything that waits for the MPP.
WAITING = (S.SUBMITTED, S.INCOMPLETE, S.VERIFIED, S.READY, S.WITH_COURIER, S.RETURNED)


@dataclass(frozen=True, slots=True)
class QueueRow:
    request: DocumentRequest
    overdue: bool
    due: datetime | None


def _filtered(status: str | None, document_type: str | None):
    stmt = select(DocumentRequest)
    statuses = [S(status)] if status in set(S) else list(WAITING)
    stmt = stmt.where(DocumentRequest.status.in_(statuses))
    if document_type in set(DocumentType):
        stmt = stmt.where(DocumentRequest.document_type == document_type)
    return stmt


def queue(
    *, status: str | None = None, document_type: str | None = None, now: datetime | None = None, limit: int = 200
) -> list[QueueRow]:
    """Oldest first: the MPP works in order of arrival."""
    now = now_or(now)
    stmt = (
        _filtered(status, document_type)
        .options(selectinload(DocumentRequest.resident))
        .order_by(DocumentRequest.created_at, DocumentRequest.id)
        .limit(limit)
    )
    rows = []
    for request in db.session.scalars(stmt):
        due = workdays.ready_due(request.verified_at) if request.verified_at and request.state == S.VERIFIED else None
        rows.append(QueueRow(request, workdays.overdue(request.state, request.verified_at, now), due))
    return rows


def queue_etag(*, status: str | None, document_type: str | None, now: datetime | None = None) -> str:
    """Changes when a row of the chosen queue changes, or when a request turns overdue."""
    now = now_or(now)
    filtered = _filtered(status, document_type).subquery()
    count, newest, total_ids = db.session.execute(
        select(func.count(), func.max(filtered.c.updated_at), func.coalesce(func.sum(filtered.c.id), 0))
    ).one()
    overdue = db.session.scalars(
        select(DocumentRequest.verified_at).where(
            DocumentRequest.status == S.VERIFIED, DocumentRequest.verified_at.is_not(None)
        )
    )
    late = sum(1 for at in overdue if workdays.overdue(S.VERIFIED, at, now))
    parts = (status, document_type, count, newest.isoformat() if newest else "", total_ids, late)
    return "docq-" + hashlib.sha256(repr(parts).encode()).hexdigest()[:20]


def overdue_count(now: datetime | None = None) -> int:
    now = now_or(now)
    verified = db.session.scalars(
        select(DocumentRequest.verified_at).where(
            DocumentRequest.status == S.VERIFIED, DocumentRequest.verified_at.is_not(None)
        )
    )
    return sum(1 for at in verified if workdays.overdue(S.VERIFIED, at, now))


@dataclass(frozen=True, slots=True)
class PersonalData:
    nik: str
    kk_number: str
    address: str
    receivers: list[str]


def personal_data(request: DocumentRequest, *, by: User, now: datetime | None = None) -> PersonalData:
    """NIK, KK number, address and receivers in full, for the clerk; every look is audited."""
    audit("view", request, by=by, detail="NIK, KK number, address, receivers", now=now)
    return PersonalData(
        nik=nik.decrypt(request.nik_encrypted),
        kk_number=nik.decrypt(request.kk_encrypted),
        address=request.address,
        receivers=request.receiver_names,
    )


def looks(*, limit: int = 100) -> list[tuple[AuditEntry, str | None]]:
    """Who looked at residents' personal data, newest first, with each request's reference."""
    rows = db.session.execute(
        select(AuditEntry, DocumentRequest.reference)
        .join(DocumentRequest, DocumentRequest.id == AuditEntry.subject_id)
        .where(AuditEntry.subject_type == subject_type(DocumentRequest))
        .options(selectinload(AuditEntry.actor))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    return [(entry, reference) for entry, reference in rows]


def _tell(request: DocumentRequest, message) -> None:
    notify.send(message, phone=request.phone, locale=request.resident.locale, url=f"/documents/{request.id}")


def _what(request: DocumentRequest):
    return DocumentType(request.document_type).label


def verify(request: DocumentRequest, *, by: User, now: datetime | None = None) -> None:
    """The registration number and the KK address check out: the one-working-day clock starts."""
    now = now_or(now)
    locked(request)
    move(request, S.VERIFIED, by=by, now=now)
    request.verified_at = now
    request.missing = ""


def mark_incomplete(request: DocumentRequest, *, by: User, missing: str, now: datetime | None = None) -> None:
    missing = (missing or "").strip()
    if not missing:
        raise DocumentError(_l("Say what is missing: the resident reads it."))
    locked(request)
    move(request, S.INCOMPLETE, by=by, note=missing[:500], now=now)
    request.missing = missing[:2000]
    _tell(
        request,
        _l(
            "Your request %(ref)s is incomplete: %(missing)s. Please correct it on Gancang.",
            ref=request.reference,
            missing=missing[:200],
        ),
    )


def reject(request: DocumentRequest, *, by: User, reason: str, now: datetime | None = None) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise DocumentError(_l("Give a reason: the resident reads it."))
    locked(request)
    move(request, S.REJECTED, by=by, note=reason[:500], now=now)
    request.reject_reason = reason[:2000]
    release_payment(request, reason=reasons.REQUEST_REJECTED, by=by)
    _tell(request, _l("Your request %(ref)s was rejected: %(reason)s", ref=request.reference, reason=reason[:200]))


def mark_ready(request: DocumentRequest, *, by: User, now: datetime | None = None) -> None:
    now = now_or(now)
    locked(request)
    move(request, S.READY, by=by, now=now)
    request.ready_at = now


def send_electronically(request: DocumentRequest, *, by: User, now: datetime | None = None) -> None:
    """KK and akta are e-signed PDFs now: Dukcapil emails them, no courier needed."""
    locked(request)
    if not DocumentType(request.document_type).electronic:
        raise DocumentError(_l("Only KK and akta can be sent electronically."))
    if open_delivery(request) is not None:
        raise DocumentError(_l("A courier has already been asked for this document."))
    move(request, S.SENT_ELECTRONICALLY, by=by, now=now)
    release_payment(request, reason=reasons.SENT_ELECTRONICALLY, by=by)
    _tell(
        request,
        _l("Your %(what)s (%(ref)s) has been sent to you electronically.", what=_what(request), ref=request.reference),
    )


def resend(request: DocumentRequest, *, by: User, now: datetime | None = None) -> None:
    """A returned document goes out again: ready, for a new courier."""
    locked(request)
    move(request, S.READY, by=by, note="new delivery", now=now)


def collect_at_counter(request: DocumentRequest, *, by: User, now: datetime | None = None) -> None:
    locked(request)
    move(request, S.COLLECT_AT_COUNTER, by=by, now=now)
    if by.id != request.resident_id:
        _tell(
            request,
            _l(
                "Your %(what)s (%(ref)s) waits for you at the MPP counter. Bring your registration receipt.",
                what=_what(request),
                ref=request.reference,
            ),
        )
