"""Finding payments and naming them: by payable, by PaymentIntent, their pages, and what each
customer's "my activity" and the regency's subsidy figures show."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.activity import ActivityItem, covered_payables, register_source
from portal.extensions import db
from portal.payments.models import Payment, PaymentMethod, PaymentStatus

PAYABLE_LABELS = {
    "food_order": _l("Food order"),
    "ride_booking": _l("Ijen ride"),
    "delivery_fee": _l("Delivery fee"),
    "document_request": _l("Document delivery"),
    "medicine_delivery": _l("Medicine delivery"),
    "demo": _l("Card payment test"),
    "food_voucher": _l("Regency voucher on a food order"),
}

# payable_type -> what the payment covers, line by line, for its receipt: [(label, rupiah), …].
# A domain registers its own (food: the food, the delivery, a regency voucher's discount).
ReceiptLines = Callable[[Payment], list[tuple[str, int]]]
_RECEIPT_LINES: dict[str, ReceiptLines] = {}


def register_receipt_lines(payable_type: str) -> Callable[[ReceiptLines], ReceiptLines]:
    def decorator(lines: ReceiptLines) -> ReceiptLines:
        _RECEIPT_LINES[payable_type] = lines
        return lines

    return decorator


def receipt_lines(payment: Payment) -> list[tuple[str, int]]:
    lines = _RECEIPT_LINES.get(payment.payable_type)
    return lines(payment) if lines is not None else []


# A payable's ways out of its card page (cash to the courier, releasing a held seat): each
# domain registers one function, payment -> (button label, URL to POST) or None when none applies.
OtherWay = Callable[[Payment], "tuple[str, str] | None"]
OTHER_WAYS: dict[str, OtherWay] = {}


def register_other_way(payable_type: str) -> Callable[[OtherWay], OtherWay]:
    def register(func: OtherWay) -> OtherWay:
        OTHER_WAYS[payable_type] = func
        return func

    return register


def other_way(payment: Payment) -> tuple[str, str] | None:
    """What the card page offers besides the card (it needs JavaScript, the way out must not)."""
    func = OTHER_WAYS.get(payment.payable_type)
    return func(payment) if func is not None and payment.state.open else None


def payment_for(payable_type: str, payable_id: int) -> Payment | None:
    """The payable's payment (the open or paid one; a cancelled one only if there is no other)."""
    rows = db.session.scalars(
        select(Payment)
        .where(Payment.payable_type == payable_type, Payment.payable_id == payable_id)
        .order_by((Payment.status == PaymentStatus.CANCELLED.value).asc(), Payment.id.desc())
    ).all()
    return rows[0] if rows else None


def current_for(payable_type: str, payable_id: int) -> Payment | None:
    """The payable's payment that still holds it (at most one: a partial unique index)."""
    return db.session.scalar(
        select(Payment).where(
            Payment.payable_type == payable_type,
            Payment.payable_id == payable_id,
            Payment.status != PaymentStatus.CANCELLED.value,
        )
    )


def by_intent(intent_id: str) -> Payment | None:
    return db.session.scalar(select(Payment).where(Payment.intent_id == intent_id))


def _path(endpoint: str, **values: Any) -> str:
    """A site-relative URL, also from jobs and the shell (no request there)."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def pay_url(payment: Payment) -> str:
    """The shared card page; after success it sends the customer to the payment's return_url."""
    return _path("payments.pay", payment_id=payment.id)


def receipt_url(payment: Payment) -> str:
    return _path("payments.receipt", payment_id=payment.id)


def payable_label(payment: Payment) -> str:
    label = PAYABLE_LABELS.get(payment.payable_type)
    return str(label) if label else payment.payable_type.replace("_", " ")


def subsidy_totals() -> list[tuple[str, int, int]]:
    """(payer, number of payments, rupiah) for subsidised payments still claimed, biggest first."""
    rows = db.session.execute(
        select(Payment.payer, func.count(), func.sum(Payment.amount - Payment.refunded_amount))
        .where(
            Payment.method == PaymentMethod.SUBSIDY.value,
            Payment.status.in_([PaymentStatus.SUCCEEDED.value, PaymentStatus.PARTIALLY_REFUNDED.value]),
        )
        .group_by(Payment.payer)
        .order_by(func.sum(Payment.amount - Payment.refunded_amount).desc())
    ).all()
    return [(payer or "", int(count), int(total or 0)) for payer, count, total in rows]


@register_source
def _activity(user, limit: int, before: datetime | None) -> list[ActivityItem]:
    query = (
        select(Payment)
        .where(Payment.customer_id == user.id, Payment.payable_type.not_in(covered_payables()))
        .order_by(Payment.created_at.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(Payment.created_at < before)
    return [
        ActivityItem(
            when=payment.created_at,
            kind=_("Payment"),
            title=_("%(what)s · %(method)s", what=payable_label(payment), method=payment.kind.label),
            status=payment.state.label,
            url=receipt_url(payment),
            amount=payment.amount,
            final=payment.state.final or payment.state.paid,
            tone=payment.state.tone,
        )
        for payment in db.session.scalars(query)
    ]
