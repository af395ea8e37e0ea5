"""Who pays the delivery, per document type: the regency (a subsidy payment is recorded) or the
resident (the courier adapter's quote, by card or cash). An admin changes it."""

from __future__ import annotations

from sqlalchemy import select

from portal.accounts.models import User
from portal.database import utcnow
from portal.documents.models import DocumentType, DocumentTypeSetting
from portal.extensions import db

SUBSIDY_PAYER = "Pemkab Banyuwangi"


def is_free(document_type: DocumentType | str) -> bool:
    kind = DocumentType(document_type)
    setting = db.session.get(DocumentTypeSetting, kind.value)
    return kind.free_by_default if setting is None else setting.free


def all_settings() -> list[tuple[DocumentType, bool]]:
    stored = {s.document_type: s.free for s in db.session.scalars(select(DocumentTypeSetting))}
    return [(kind, stored.get(kind.value, kind.free_by_default)) for kind in DocumentType]


def set_free(document_type: DocumentType | str, free: bool, *, by: User) -> None:
    kind = DocumentType(document_type)
    setting = db.session.get(DocumentTypeSetting, kind.value)
    if setting is None:
        setting = DocumentTypeSetting(document_type=kind.value, free=free)
        db.session.add(setting)
    setting.free = free
    setting.updated_at = utcnow()
    setting.updated_by_id = by.id
    db.session.flush()
