"""What the office pages and the dashboard read: each voucher's budget used and left, and
redemptions counted per voucher."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from portal.extensions import db
from portal.promotions.vouchers.models import RedemptionStatus, Voucher, VoucherRedemption


@dataclass(frozen=True)
class BudgetLine:
    voucher_id: int
    name: str
    code: str | None
    budget: int
    used: int  # reached the warung: the regency pays it
    reserved: int  # waiting for a card payment
    left: int
    orders: int  # redemptions used
    customers: int


def budget_lines(voucher_ids: list[int] | None = None) -> list[BudgetLine]:
    """One row per voucher, one query: budget, used, reserved, left, orders and customers."""
    used = VoucherRedemption.status == RedemptionStatus.USED.value
    reserved = VoucherRedemption.status == RedemptionStatus.RESERVED.value
    query = (
        select(
            Voucher.id,
            Voucher.name,
            Voucher.code,
            Voucher.budget,
            Voucher.spent,
            func.coalesce(func.sum(case((used, VoucherRedemption.amount), else_=0)), 0),
            func.coalesce(func.sum(case((reserved, VoucherRedemption.amount), else_=0)), 0),
            func.coalesce(func.sum(case((used, 1), else_=0)), 0),
            func.count(func.distinct(case((used, VoucherRedemption.user_id)))),
        )
        .outerjoin(VoucherRedemption, VoucherRedemption.voucher_id == Voucher.id)
        .group_by(Voucher.id, Voucher.name, Voucher.code, Voucher.budget, Voucher.spent)
        .order_by(Voucher.starts_on.desc(), Voucher.id.desc())
    )
    if voucher_ids is not None:
        query = query.where(Voucher.id.in_(voucher_ids))
    return [
        BudgetLine(
            voucher_id=vid,
            name=name,
            code=code,
            budget=budget,
            used=int(used_sum),
            reserved=int(reserved_sum),
            left=budget - spent,
            orders=int(orders),
            customers=int(customers),
        )
        for vid, name, code, budget, spent, used_sum, reserved_sum, orders, customers in db.session.execute(query)
    ]


def vouchers() -> list[Voucher]:
    return list(db.session.scalars(select(Voucher).order_by(Voucher.starts_on.desc(), Voucher.id.desc())))


@dataclass(frozen=True)
class ScopeTotals:
    """All the vouchers of one festival or collection together (for the dashboard)."""

    vouchers: int
    budget: int
    used: int
    reserved: int
    left: int
    orders: int  # orders whose discount was used
    customers: int


def scope_totals(*, festival_id: int | None = None, collection_id: int | None = None) -> ScopeTotals:
    """Budget used and left, orders and customers over the vouchers of a festival or a
    collection: two queries whatever the number of vouchers and redemptions."""
    if (festival_id is None) == (collection_id is None):
        raise ValueError("give a festival_id or a collection_id")
    scope = Voucher.festival_id == festival_id if festival_id is not None else Voucher.collection_id == collection_id
    count, budget, spent = db.session.execute(
        select(
            func.count(Voucher.id),
            func.coalesce(func.sum(Voucher.budget), 0),
            func.coalesce(func.sum(Voucher.spent), 0),
        ).where(scope)
    ).one()
    used = VoucherRedemption.status == RedemptionStatus.USED.value
    reserved = VoucherRedemption.status == RedemptionStatus.RESERVED.value
    used_sum, reserved_sum, orders, customers = db.session.execute(
        select(
            func.coalesce(func.sum(case((used, VoucherRedemption.amount), else_=0)), 0),
            func.coalesce(func.sum(case((reserved, VoucherRedemption.amount), else_=0)), 0),
            func.coalesce(func.sum(case((used, 1), else_=0)), 0),
            func.count(func.distinct(case((used, VoucherRedemption.user_id)))),
        )
        .join(Voucher, Voucher.id == VoucherRedemption.voucher_id)
        .where(scope)
    ).one()
    return ScopeTotals(
        vouchers=int(count),
        budget=int(budget),
        used=int(used_sum),
        reserved=int(reserved_sum),
        left=int(budget) - int(spent),
        orders=int(orders),
        customers=int(customers),
    )
