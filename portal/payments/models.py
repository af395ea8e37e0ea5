"""Payments: one per payable thing (food order, ride booking, delivery fee), whatever the method.

A Payment is polymorphic by (payable_type, payable_id): payments never import the domains that
pay through them. Card payments hold one Stripe PaymentIntent for their whole life.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db
from portal.payments.declines import decline_message
from portal.workflow import EventMixin, Status


class PaymentMethod(StrEnum):
    CARD = "card"
    CASH = "cash"
    SUBSIDY = "subsidy"

    @property
    def label(self) -> str:
        return str(METHOD_LABELS[self])


METHOD_LABELS = {
    PaymentMethod.CARD: _l("Card"),
    PaymentMethod.CASH: _l("Cash on delivery"),
    PaymentMethod.SUBSIDY: _l("Regency subsidy"),
}


class PaymentStatus(Status):
    PENDING = "pending", _l("Waiting for payment")  # waiting for the customer (card) or the courier (cash)
    PROCESSING = "processing", _l("Processing")
    SUCCEEDED = "succeeded", _l("Paid")
    FAILED = "failed", _l("Declined")  # the last attempt was declined; the customer may try again
    CANCELLED = "cancelled", _l("Cancelled")
    REFUNDED = "refunded", _l("Refunded")
    PARTIALLY_REFUNDED = "partially_refunded", _l("Partly refunded")

    @property
    def paid(self) -> bool:
        return self in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)

    @property
    def open(self) -> bool:
        """Still waiting for money: the customer can pay (again)."""
        return self in (PaymentStatus.PENDING, PaymentStatus.PROCESSING, PaymentStatus.FAILED)


S = PaymentStatus
# Which moves are legal. The services ignore any other move a webhook, a return or a poll
# proposes (a late `payment_failed` after `succeeded`, a second `succeeded`): that is what makes
# them safe to repeat. A second partial refund moves partially_refunded to itself.
PaymentStatus.flow(
    {
        S.PENDING: {S.PROCESSING, S.SUCCEEDED, S.FAILED, S.CANCELLED},
        S.PROCESSING: {S.SUCCEEDED, S.FAILED, S.CANCELLED},
        S.FAILED: {S.PENDING, S.PROCESSING, S.SUCCEEDED, S.CANCELLED},
        S.SUCCEEDED: {S.PARTIALLY_REFUNDED, S.REFUNDED},
        S.PARTIALLY_REFUNDED: {S.PARTIALLY_REFUNDED, S.REFUNDED},
        S.REFUNDED: set(),
        S.CANCELLED: set(),
    }
)


class RefundStatus(Status):
    """A refund has no event table: its row's status and `settled_at` are its history."""

    PENDING = "pending", _l("on its way")
    SUCCEEDED = "succeeded", _l("refunded")
    FAILED = "failed", _l("failed")


RefundStatus.flow(
    {
        RefundStatus.PENDING: {RefundStatus.SUCCEEDED, RefundStatus.FAILED},
        RefundStatus.SUCCEEDED: (),
        RefundStatus.FAILED: (),
    }
)


@dataclass(frozen=True, slots=True)
class HistoryLine:
    """A move as the receipt's timeline (`_timeline.html`) shows it to the customer: when, what,
    and the amount it moved. The event's note is left out: it is the payment's own log, in
    English, for staff and support."""

    at: datetime
    label: str
    amount: int | None
    note: str = ""
    by: None = None


# Statuses that still hold the payable: at most one such payment per payable (partial unique index).
_NOT_CANCELLED = text("status <> 'cancelled'")


class Payment(db.Model):
    __tablename__ = "payments"
    statuses: ClassVar[type[Status]] = PaymentStatus
    __table_args__ = (
        Index(
            "uq_payments_open_payable",
            "payable_type",
            "payable_id",
            unique=True,
            sqlite_where=_NOT_CANCELLED,
            postgresql_where=_NOT_CANCELLED,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payable_type: Mapped[str] = mapped_column(String(40))  # "food_order" | "ride_booking" | "delivery_fee"
    payable_id: Mapped[int]
    # None: a payer without an account (a medicine patient); the payable's own link authorises
    # them, through the payable's pages (pages.py), never through /payments/<id>/pay.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int]  # whole rupiah
    status: Mapped[str] = mapped_column(String(24), default=PaymentStatus.PENDING.value, index=True)
    intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    client_secret: Mapped[str | None] = mapped_column(String(255))
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255))
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    refunded_amount: Mapped[int] = mapped_column(default=0)
    payer: Mapped[str | None] = mapped_column(String(160))  # who pays a subsidy
    return_url: Mapped[str] = mapped_column(String(500), default="/")
    description: Mapped[str] = mapped_column(String(200), default="")
    failure_code: Mapped[str | None] = mapped_column(String(40))  # the last decline, e.g. "card_declined"
    paid_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    customer: Mapped[User | None] = relationship(foreign_keys=[customer_id])
    events: Mapped[list[PaymentEvent]] = relationship(
        back_populates="payment", order_by="PaymentEvent.id", cascade="all, delete-orphan"
    )
    refunds: Mapped[list[Refund]] = relationship(
        back_populates="payment", order_by="Refund.id", cascade="all, delete-orphan"
    )

    @property
    def state(self) -> PaymentStatus:
        return PaymentStatus(self.status)

    @property
    def kind(self) -> PaymentMethod:
        return PaymentMethod(self.method)

    @property
    def failure_message(self) -> str | None:
        """The last decline, in the reader's language (stored as Stripe's code)."""
        if not self.failure_code or self.state != PaymentStatus.FAILED:
            return None
        return str(decline_message(self.failure_code))

    @property
    def history(self) -> list[HistoryLine]:
        """Each move once, oldest first. A note written beside a move (amount changed, refund
        asked, a repeated decline) repeats the status it was written in and carries no amount:
        it is left out, so a refunded payment does not read "Paid" twice. A status the flow
        never enters twice in a row ("Paid" cannot follow "Paid", only a second partial refund
        follows a first) is shown once even if its move was recorded twice."""
        lines: list[HistoryLine] = []
        last = None
        for event in self.events:
            if event.status == last and (event.amount is None or not event.state.can_become(event.state)):
                continue
            last = event.status
            amount = None if event.status == PaymentStatus.PENDING else event.amount
            lines.append(HistoryLine(at=event.at, label=event.label, amount=amount))
        return lines

    @property
    def refundable(self) -> int:
        """What may still be refunded: paid, minus refunded, minus refunds on their way."""
        if not self.state.paid:
            return 0
        waiting = sum(r.amount for r in self.refunds if r.status == RefundStatus.PENDING.value)
        return self.amount - self.refunded_amount - waiting

    def __repr__(self) -> str:
        return f"<Payment {self.id} {self.payable_type}:{self.payable_id} {self.method} {self.status} Rp{self.amount}>"


class PaymentEvent(EventMixin, db.Model):
    """One row per move or attempt: the payment's history, oldest first."""

    __tablename__ = "payment_events"
    statuses = PaymentStatus

    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(24), default="")  # checkout | webhook | sync | reconcile | staff
    amount: Mapped[int | None]

    payment: Mapped[Payment] = relationship(back_populates="events")


class Refund(db.Model):
    """A refund asked of Stripe (or cash handed back). The key guards against refunding twice."""

    __tablename__ = "payment_refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int]
    reason: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default=RefundStatus.PENDING.value, index=True)
    refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    settled_at: Mapped[datetime | None]

    payment: Mapped[Payment] = relationship(back_populates="refunds")

    @property
    def state(self) -> RefundStatus:
        return RefundStatus(self.status)


class WebhookEvent(db.Model):
    """Every Stripe event we accepted, stored once by its id; `processed_at` once applied."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(80))
    object_id: Mapped[str | None] = mapped_column(String(255), index=True)  # the PaymentIntent / charge
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(Text, default="")
