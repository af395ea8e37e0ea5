"""Which warungs a voucher is for: the approved entries of its festival, the warungs of its
collection, or (neither) every warung."""

from __future__ import annotations

from sqlalchemy import exists, select

from portal.extensions import db
from portal.promotions.models import CollectionWarung, EntryStatus, FestivalEntry
from portal.promotions.vouchers.models import Voucher


def in_scope(voucher: Voucher, warung_id: int) -> bool:
    if voucher.festival_id is not None:
        return bool(
            db.session.scalar(
                select(
                    exists().where(
                        FestivalEntry.festival_id == voucher.festival_id,
                        FestivalEntry.warung_id == warung_id,
                        FestivalEntry.status == EntryStatus.APPROVED.value,
                    )
                )
            )
        )
    if voucher.collection_id is not None:
        return bool(
            db.session.scalar(
                select(
                    exists().where(
                        CollectionWarung.collection_id == voucher.collection_id,
                        CollectionWarung.warung_id == warung_id,
                    )
                )
            )
        )
    return True
