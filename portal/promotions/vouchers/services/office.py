"""The tourism office creates and edits vouchers (admins, and promoters once that role exists)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db
from portal.promotions.models import Collection, Festival
from portal.promotions.vouchers.models import DiscountKind, Voucher
from portal.promotions.vouchers.services.rules import normalise_code
from portal.workflow import DomainError


class VoucherError(DomainError):
    pass


@dataclass
class VoucherFields:
    name: str
    name_en: str
    code: str  # "" for an automatic discount
    kind: str
    amount: int | None
    percent: int | None
    cap: int | None
    min_order: int
    budget: int
    per_user_limit: int
    starts_on: date
    ends_on: date
    opens: int | None = None  # minutes after midnight WIB
    closes: int | None = None
    active: bool = True
    festival_id: int | None = None
    collection_id: int | None = None


def _check(fields: VoucherFields, voucher: Voucher | None) -> dict:
    name = fields.name.strip()
    if not name:
        raise VoucherError(_l("Give the voucher a name."))
    if fields.ends_on < fields.starts_on:
        raise VoucherError(_l("The last day cannot be before the first day."))
    if (fields.opens is None) != (fields.closes is None):
        raise VoucherError(_l("Give both hours, or neither for all day."))
    if fields.opens is not None and fields.closes == fields.opens:
        raise VoucherError(_l("The closing hour must differ from the opening hour (leave both empty for all day)."))
    kind = DiscountKind(fields.kind)
    if kind == DiscountKind.AMOUNT and not (fields.amount and fields.amount > 0):
        raise VoucherError(_l("Give the amount off in rupiah."))
    if kind == DiscountKind.PERCENT and not (fields.percent and 1 <= fields.percent <= 100):
        raise VoucherError(_l("Give a percentage between 1 and 100."))
    if fields.budget <= 0:
        raise VoucherError(_l("Give a budget in rupiah."))
    if voucher is not None and fields.budget < voucher.spent:
        raise VoucherError(_l("The budget cannot be less than what is already spent (%(spent)s).", spent=voucher.spent))
    if fields.min_order < 0 or fields.per_user_limit < 1:
        raise VoucherError(_l("The minimum order and the uses per customer cannot be negative."))
    if fields.festival_id and db.session.get(Festival, fields.festival_id) is None:
        raise VoucherError(_l("Choose a festival that exists."))
    if fields.collection_id and db.session.get(Collection, fields.collection_id) is None:
        raise VoucherError(_l("Choose a collection that exists."))
    code = normalise_code(fields.code) or None
    if code is not None:
        taken = db.session.scalar(select(Voucher.id).where(Voucher.code == code))
        if taken is not None and (voucher is None or taken != voucher.id):
            raise VoucherError(_l("Another voucher already has the code %(code)s.", code=code))
    return {
        "name": name[:120],
        "name_en": fields.name_en.strip()[:120],
        "code": code,
        "kind": kind.value,
        "amount": fields.amount if kind == DiscountKind.AMOUNT else None,
        "percent": fields.percent if kind == DiscountKind.PERCENT else None,
        "cap": (fields.cap or None) if kind == DiscountKind.PERCENT else None,
        "min_order": fields.min_order,
        "budget": fields.budget,
        "per_user_limit": fields.per_user_limit,
        "starts_on": fields.starts_on,
        "ends_on": fields.ends_on,
        "opens": fields.opens,
        "closes": fields.closes,
        "active": fields.active,
        "festival_id": fields.festival_id if not fields.collection_id else None,
        "collection_id": fields.collection_id,
    }


def save_voucher(fields: VoucherFields, *, by: User, voucher: Voucher | None = None) -> Voucher:
    """Create (voucher=None) or change a voucher. Its budget is never set below what is spent."""
    values = _check(fields, voucher)
    if voucher is None:
        voucher = Voucher(created_by_id=by.id, spent=0, created_at=utcnow())
        db.session.add(voucher)
    elif values["budget"] != voucher.budget:
        # Lock the row: a checkout reserving at this moment must not see a budget below `spent`.
        db.session.refresh(voucher, with_for_update=True)
        if values["budget"] < voucher.spent:
            raise VoucherError(
                _l("The budget cannot be less than what is already spent (%(spent)s).", spent=voucher.spent)
            )
    for name, value in values.items():
        setattr(voucher, name, value)
    voucher.updated_at = utcnow()
    db.session.flush()
    return voucher
