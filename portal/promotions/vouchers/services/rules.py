"""Which voucher an order gets and, if none, why: codes are normalised, dates and hours are WIB,
the warung must be in the voucher's scope, the food must reach the minimum, the account and the
verified phone must be under the per-customer limit, and the budget must cover the discount."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db
from portal.food.models import Warung
from portal.formatting import long_date, rupiah, to_wib
from portal.promotions.vouchers.models import RedemptionStatus, Voucher, VoucherRedemption
from portal.promotions.vouchers.services.scope import in_scope

_SPACES = re.compile(r"[\s\-_.]+")


def normalise_code(code: str | None) -> str:
    """What people type ("pesta 10", " Pesta-10 ") is the code PESTA10."""
    return _SPACES.sub("", code or "").upper()


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass
class Offer:
    """The discount an order gets (voucher None: none), and why a typed code did not apply."""

    voucher: Voucher | None = None
    amount: int = 0
    problem: str | None = None
    code: str = ""


def uses(voucher: Voucher, user: User) -> tuple[int, int]:
    """(by this account, by this account's phone) redemptions that still count."""
    by_user, by_phone = db.session.execute(
        select(
            func.coalesce(func.sum(case((VoucherRedemption.user_id == user.id, 1), else_=0)), 0),
            func.coalesce(func.sum(case((VoucherRedemption.phone == user.phone, 1), else_=0)), 0),
        ).where(
            VoucherRedemption.voucher_id == voucher.id,
            VoucherRedemption.status != RedemptionStatus.RETURNED.value,
        )
    ).one()
    return int(by_user), int(by_phone)


def limit_problem(voucher: Voucher, user: User) -> str | None:
    by_user, by_phone = uses(voucher, user)
    if by_user >= voucher.per_user_limit:
        if voucher.per_user_limit == 1:
            return str(_l("You have already used this voucher."))
        return str(_l("You have already used this voucher %(n)s times, the most it allows.", n=by_user))
    if by_phone >= voucher.per_user_limit:
        return str(_l("This voucher was already used with your phone number."))
    return None


def refusal(voucher: Voucher, user: User, warung: Warung, food: int, now: datetime | None = None) -> str | None:
    """Why `voucher` does not apply to this order now, in the reader's language; None if it does."""
    local = to_wib(now or utcnow())
    minute = local.hour * 60 + local.minute
    # Hours past midnight (18:00 to 01:00) belong to the evening they opened: at 00:30 the
    # voucher's day is yesterday, so its last evening runs into the next morning.
    past_midnight = voucher.opens is not None and voucher.closes < voucher.opens
    open_hours = voucher.opens is None or (
        minute >= voucher.opens or minute < voucher.closes
        if past_midnight
        else voucher.opens <= minute < voucher.closes
    )
    today = local.date() - timedelta(days=1) if past_midnight and minute < voucher.closes else local.date()
    if not voucher.active:
        return str(_l("This voucher is no longer offered."))
    if today < voucher.starts_on:
        return str(_l("This voucher is not valid yet: it starts on %(day)s.", day=long_date(voucher.starts_on)))
    if today > voucher.ends_on:
        return str(_l("This voucher has expired: it ended on %(day)s.", day=long_date(voucher.ends_on)))
    if not open_hours:
        return str(
            _l(
                "This voucher works only between %(opens)s and %(closes)s WIB.",
                opens=hhmm(voucher.opens),
                closes=hhmm(voucher.closes),
            )
        )
    if not in_scope(voucher, warung.id):
        return str(_l("This voucher is not for %(warung)s.", warung=warung.name))
    if food < voucher.min_order:
        return str(
            _l(
                "This voucher needs food for at least %(min)s: add %(more)s more.",
                min=rupiah(voucher.min_order),
                more=rupiah(voucher.min_order - food),
            )
        )
    if voucher.discount_on(food) <= 0:
        return str(_l("This voucher takes nothing off this order."))
    problem = limit_problem(voucher, user)
    if problem:
        return problem
    if voucher.spent + voucher.discount_on(food) > voucher.budget:
        return str(_l("This voucher's budget is used up."))
    return None


def best_automatic(user: User, warung: Warung, food: int, now: datetime | None = None) -> Offer:
    """The biggest automatic (codeless) discount this order qualifies for."""
    today = to_wib(now or utcnow()).date()
    candidates = db.session.scalars(
        select(Voucher)
        .where(
            Voucher.code.is_(None),
            Voucher.active.is_(True),
            Voucher.starts_on <= today,
            Voucher.ends_on >= today,
            Voucher.spent < Voucher.budget,
        )
        .order_by(Voucher.id)
    ).all()
    best = Offer()
    for voucher in candidates:
        if refusal(voucher, user, warung, food, now) is None and voucher.discount_on(food) > best.amount:
            best = Offer(voucher, voucher.discount_on(food))
    return best


def find_offer(user: User, warung: Warung, food: int, *, code: str = "", now: datetime | None = None) -> Offer:
    """One voucher per order: the typed code if it applies, else the best automatic discount
    (with the reason the code did not apply)."""
    code = normalise_code(code)
    problem = None
    if code:
        voucher = db.session.scalar(select(Voucher).where(Voucher.code == code))
        if voucher is None:
            problem = str(_l("There is no voucher %(code)s. Check the code and try again.", code=code))
        else:
            problem = refusal(voucher, user, warung, food, now)
            if problem is None:
                return Offer(voucher, voucher.discount_on(food), code=code)
    offer = best_automatic(user, warung, food, now)
    offer.problem, offer.code = problem, code
    return offer
