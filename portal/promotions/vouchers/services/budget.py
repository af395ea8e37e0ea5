"""The budget: reserved by one conditional UPDATE, so concurrent checkouts can never spend more
than it holds, whatever the database. On PostgreSQL the UPDATE takes the voucher's row lock and
re-reads `spent` once the previous holder commits; on SQLite every POST already holds the write
lock (BEGIN IMMEDIATE). The per-customer limit is checked again after the lock is taken, so two
tabs of one customer cannot both pass it either."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db
from portal.food.models import FoodOrder
from portal.promotions.vouchers.models import RedemptionStatus, Voucher, VoucherRedemption
from portal.promotions.vouchers.services.rules import limit_problem
from portal.workflow import DomainError


class VoucherRefused(DomainError):
    """The voucher could not be reserved after all (budget gone, limit reached meanwhile)."""


def _add_spent(voucher_id: int, amount: int, *, within_budget: bool):
    statement = update(Voucher).where(Voucher.id == voucher_id).values(spent=Voucher.spent + amount)
    if within_budget:
        statement = statement.where(Voucher.active.is_(True), Voucher.spent + amount <= Voucher.budget)
    return db.session.execute(statement.execution_options(synchronize_session=False))


def reserve(
    voucher: Voucher, *, amount: int, user: User, order: FoodOrder, now: datetime | None = None
) -> VoucherRedemption:
    """Hold `amount` of the budget for `order`, or raise VoucherRefused and change nothing."""
    try:
        with db.session.begin_nested():
            result = _add_spent(voucher.id, amount, within_budget=True)
            if result.rowcount != 1:
                raise VoucherRefused(_l("This voucher's budget is used up."))
            problem = limit_problem(voucher, user)  # read again now that the voucher is locked
            if problem:
                raise VoucherRefused(problem)
            redemption = VoucherRedemption(
                voucher_id=voucher.id,
                order=order,
                user_id=user.id,
                phone=user.phone,
                amount=amount,
                status=RedemptionStatus.RESERVED.value,
                created_at=now or utcnow(),
            )
            db.session.add(redemption)
            db.session.flush()
    finally:
        db.session.expire(voucher, ["spent"])
    return redemption


def give_back(redemption: VoucherRedemption, *, now: datetime | None = None) -> bool:
    """The order no longer stands: its discount goes back to the budget (once). True if it did."""
    if redemption.state == RedemptionStatus.RETURNED:
        return False
    _add_spent(redemption.voucher_id, -redemption.amount, within_budget=False)
    redemption.status = RedemptionStatus.RETURNED.value
    redemption.returned_at = now or utcnow()
    db.session.expire(redemption.voucher, ["spent"])
    db.session.flush()
    return True
