"""Document requests (one per document to deliver), their timeline, and the per-type fee setting."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db
from portal.workflow import EventMixin, Status


class DocumentType(StrEnum):
    KTP_EL = "ktp_el"
    KK = "kk"
    KIA = "kia"
    BIRTH_CERTIFICATE = "akta_kelahiran"
    DEATH_CERTIFICATE = "akta_kematian"

    @property
    def label(self) -> str:
        return str(TYPE_LABELS[self])

    @property
    def electronic(self) -> bool:
        """Dukcapil issues these as e-signed PDFs: they may be sent instead of delivered."""
        return self in ELECTRONIC

    @property
    def free_by_default(self) -> bool:
        """The regency pays the delivery of identity documents (an admin may change it)."""
        return self in (DocumentType.KTP_EL, DocumentType.KK, DocumentType.KIA)


TYPE_LABELS = {
    DocumentType.KTP_EL: _l("KTP-el (electronic identity card)"),
    DocumentType.KK: _l("Kartu Keluarga (family card)"),
    DocumentType.KIA: _l("KIA (child identity card)"),
    DocumentType.BIRTH_CERTIFICATE: _l("Akta kelahiran (birth certificate)"),
    DocumentType.DEATH_CERTIFICATE: _l("Akta kematian (death certificate)"),
}
ELECTRONIC = frozenset({DocumentType.KK, DocumentType.BIRTH_CERTIFICATE, DocumentType.DEATH_CERTIFICATE})


class DocumentStatus(Status):
    SUBMITTED = "submitted", _l("Submitted, waiting for the MPP to check it")
    INCOMPLETE = "incomplete", _l("Incomplete: something is missing")
    VERIFIED = "verified", _l("Verified, being printed")
    READY = "ready", _l("Ready at the MPP")
    WITH_COURIER = "with_courier", _l("On its way with the courier")
    DELIVERED = "delivered", _l("Delivered")
    RETURNED = "returned", _l("Back at the MPP: nobody could receive it")
    COLLECT_AT_COUNTER = "collect_at_counter", _l("Waiting for you at the MPP counter")
    SENT_ELECTRONICALLY = "sent_electronically", _l("Sent electronically")
    REJECTED = "rejected", _l("Rejected")
    CANCELLED = "cancelled", _l("Cancelled")


S = DocumentStatus
DocumentStatus.flow(
    {
        S.SUBMITTED: {S.VERIFIED, S.INCOMPLETE, S.REJECTED, S.CANCELLED},
        S.INCOMPLETE: {S.SUBMITTED, S.REJECTED, S.CANCELLED},
        S.VERIFIED: {S.READY, S.SENT_ELECTRONICALLY, S.CANCELLED},
        S.READY: {S.WITH_COURIER, S.SENT_ELECTRONICALLY, S.CANCELLED},
        S.WITH_COURIER: {S.DELIVERED, S.RETURNED},
        S.RETURNED: {S.READY, S.COLLECT_AT_COUNTER},
        S.DELIVERED: (),
        S.COLLECT_AT_COUNTER: (),
        S.SENT_ELECTRONICALLY: (),
        S.REJECTED: (),
        S.CANCELLED: (),
    }
)
#: Where the resident may still cancel: before the document leaves with a courier.
CANCELLABLE = frozenset(s for s in DocumentStatus if s.can_become(S.CANCELLED))


class DocumentRequestEvent(EventMixin, db.Model):
    __tablename__ = "document_request_events"
    statuses = DocumentStatus

    request_id: Mapped[int] = mapped_column(ForeignKey("document_requests.id", ondelete="CASCADE"), index=True)


class DocumentRequest(db.Model):
    __tablename__ = "document_requests"
    __table_args__ = (
        UniqueConstraint("resident_id", "idempotency_key"),
        Index("ix_document_requests_status_created", "status", "created_at"),
    )
    statuses: ClassVar[type[Status]] = DocumentStatus

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)  # MPP-2026-000123, set on submit
    resident_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(64))  # from the form: a double submit is one request
    document_type: Mapped[str] = mapped_column(String(20), index=True)
    registration_number: Mapped[str] = mapped_column(String(30))
    holder_name: Mapped[str] = mapped_column(String(120))
    # NIK and KK number: encrypted, a keyed hash to find them, and the masked form most screens show.
    nik_encrypted: Mapped[str] = mapped_column(Text)
    nik_hash: Mapped[str] = mapped_column(String(64), index=True)
    nik_masked: Mapped[str] = mapped_column(String(16))
    kk_encrypted: Mapped[str] = mapped_column(Text)
    kk_masked: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(Text)  # as on the KK: the clerk checks it
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    phone: Mapped[str] = mapped_column(String(20))  # E.164: the PIN goes here
    # Who may take the document at the door: the holder, and (unless holder_only) these names
    # of family members on the same KK.
    holder_only: Mapped[bool] = mapped_column(Boolean, default=True)
    receivers: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(30), default=DocumentStatus.SUBMITTED)
    missing: Mapped[str] = mapped_column(Text, default="")  # what the clerk found missing (incomplete)
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    return_old_card: Mapped[bool] = mapped_column(Boolean, default=False)  # a changed or damaged KTP-el
    fee: Mapped[int] = mapped_column(Integer, default=0)  # rupiah, as quoted when requested
    payment_method: Mapped[str] = mapped_column(String(10), default="subsidy")  # subsidy | card | cash
    pin_encrypted: Mapped[str | None] = mapped_column(Text)  # shown to the resident while on its way
    received_by: Mapped[str | None] = mapped_column(String(120))
    old_card_collected: Mapped[bool | None] = mapped_column(Boolean)
    verified_at: Mapped[datetime | None]  # the one-working-day clock starts here
    ready_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    resident: Mapped[User] = relationship()
    events: Mapped[list[DocumentRequestEvent]] = relationship(
        cascade="all, delete-orphan", order_by="(DocumentRequestEvent.at, DocumentRequestEvent.id)"
    )

    def __repr__(self) -> str:
        return f"<DocumentRequest {self.id} {self.reference} {self.status}>"

    @property
    def state(self) -> DocumentStatus:
        return DocumentStatus(self.status)

    @property
    def kind(self) -> DocumentType:
        return DocumentType(self.document_type)

    @property
    def cancellable(self) -> bool:
        return self.state in CANCELLABLE

    @property
    def receiver_names(self) -> list[str]:
        """Everyone who may sign for it: the holder first (never for a death certificate)."""
        family = [] if self.holder_only else list(self.receivers or [])
        if self.document_type == DocumentType.DEATH_CERTIFICATE:
            return family
        names = [self.holder_name, *family]
        return [name for at, name in enumerate(names) if name.casefold() not in {n.casefold() for n in names[:at]}]


class DocumentTypeSetting(db.Model):
    """An admin's choice per document type: does the regency pay the delivery?"""

    __tablename__ = "document_type_settings"

    document_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    free: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
