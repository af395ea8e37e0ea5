"""Regency-funded vouchers: a code (or none: automatic) that takes money off a food order, and
one redemption row per order that used one. The warung is paid its full price; the regency pays
the discount (a subsidy payment, `payable_type="food_voucher"`), so every order's books balance:
customer's payment + subsidy = food + delivery.

`spent` counts reserved and used discounts. It only ever moves by one conditional UPDATE
(services/budget.py), and a CHECK keeps it within the budget whatever a caller does.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db
from portal.food.models import FoodOrder
from portal.promotions.models import Collection, Festival
from portal.workflow import Status


class DiscountKind(StrEnum):
    AMOUNT = "amount"  # a fixed number of rupiah off the food
    PERCENT = "percent"  # a share of the food, up to `cap` rupiah per order

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])


KIND_LABELS = {DiscountKind.AMOUNT: _l("A fixed amount"), DiscountKind.PERCENT: _l("A percentage")}


class RedemptionStatus(Status):
    """No event table: the row's timestamps are its history (like a payment's Refund)."""

    RESERVED = "reserved", _l("Reserved")  # the order waits for its card payment
    USED = "used", _l("Used")  # the order reached the warung; the regency pays the discount
    RETURNED = "returned", _l("Returned")  # cancelled, rejected or refunded: the budget is back


RedemptionStatus.flow(
    {
        RedemptionStatus.RESERVED: {RedemptionStatus.USED, RedemptionStatus.RETURNED},
        RedemptionStatus.USED: {RedemptionStatus.RETURNED},
        RedemptionStatus.RETURNED: (),
    }
)


class Voucher(db.Model):
    __tablename__ = "vouchers"
    __table_args__ = (
        CheckConstraint("spent >= 0 AND spent <= budget", name="within_budget"),
        CheckConstraint("budget > 0", name="budget_positive"),
        CheckConstraint("kind IN ('amount', 'percent')", name="kind"),
        CheckConstraint("percent IS NULL OR percent BETWEEN 1 AND 100", name="percent"),
        CheckConstraint("ends_on >= starts_on", name="dates"),
        CheckConstraint(
            # A closing hour before the opening one runs past midnight (18:00 to 01:00).
            "(opens IS NULL AND closes IS NULL) OR (opens BETWEEN 0 AND 1439 AND closes BETWEEN 0 AND 1440 "
            "AND closes <> opens)",
            name="hours",
        ),
        CheckConstraint("per_user_limit >= 1", name="per_user_limit"),
        CheckConstraint("festival_id IS NULL OR collection_id IS NULL", name="one_scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Normalised (upper case, no spaces); None: applied without a code.
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))  # Indonesian
    name_en: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[str] = mapped_column(String(10), default=DiscountKind.AMOUNT.value)
    amount: Mapped[int | None] = mapped_column(Integer)  # rupiah off, for AMOUNT
    percent: Mapped[int | None] = mapped_column(Integer)  # for PERCENT
    cap: Mapped[int | None] = mapped_column(Integer)  # at most this many rupiah per order, for PERCENT
    min_order: Mapped[int] = mapped_column(Integer, default=0)  # the food (not delivery) at least
    budget: Mapped[int] = mapped_column(Integer)  # whole rupiah the regency set aside
    spent: Mapped[int] = mapped_column(Integer, default=0)  # reserved + used
    per_user_limit: Mapped[int] = mapped_column(Integer, default=1)  # per account AND per verified phone
    starts_on: Mapped[date] = mapped_column(Date)  # WIB calendar days, both included
    ends_on: Mapped[date] = mapped_column(Date)
    opens: Mapped[int | None] = mapped_column(Integer)  # minutes after midnight WIB; None: all day
    closes: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # the office can pause it
    # For the approved warungs of a festival, or the warungs of a collection; neither: every warung.
    festival_id: Mapped[int | None] = mapped_column(ForeignKey("promo_festivals.id", ondelete="RESTRICT"), index=True)
    collection_id: Mapped[int | None] = mapped_column(
        ForeignKey("promo_collections.id", ondelete="RESTRICT"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def automatic(self) -> bool:
        return self.code is None

    @property
    def left(self) -> int:
        return self.budget - self.spent

    @property
    def discount_kind(self) -> DiscountKind:
        return DiscountKind(self.kind)

    festival: Mapped[Festival | None] = relationship()
    collection: Mapped[Collection | None] = relationship()

    def display_name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name

    def discount_on(self, food: int) -> int:
        """Rupiah off `food` rupiah of food: never more than the food itself."""
        if self.discount_kind == DiscountKind.PERCENT:
            off = food * (self.percent or 0) // 100
            if self.cap:
                off = min(off, self.cap)
        else:
            off = self.amount or 0
        return max(0, min(off, food))

    def __repr__(self) -> str:
        return f"<Voucher {self.id} {self.code or 'auto'} {self.spent}/{self.budget}>"


class VoucherRedemption(db.Model):
    """One voucher on one order (an order takes one voucher at most: vouchers do not combine)."""

    __tablename__ = "voucher_redemptions"
    statuses: ClassVar[type[Status]] = RedemptionStatus
    __table_args__ = (
        Index("ix_voucher_redemptions_voucher_user", "voucher_id", "user_id"),
        Index("ix_voucher_redemptions_voucher_phone", "voucher_id", "phone"),
        CheckConstraint("amount > 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("vouchers.id", ondelete="RESTRICT"))
    order_id: Mapped[int] = mapped_column(ForeignKey("food_orders.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(20))  # the verified phone (E.164) at checkout
    amount: Mapped[int] = mapped_column(Integer)  # rupiah off; what the regency pays
    status: Mapped[str] = mapped_column(String(10), default=RedemptionStatus.RESERVED.value)
    # A partial refund of the customer's payment leaves the discount used (the order was
    # delivered in part); how much was refunded is noted here for the office.
    refunded_after_use: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]

    voucher: Mapped[Voucher] = relationship()
    order: Mapped[FoodOrder] = relationship()
    user: Mapped[User] = relationship()

    @property
    def state(self) -> RedemptionStatus:
        return RedemptionStatus(self.status)
