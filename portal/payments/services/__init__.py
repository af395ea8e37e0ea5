"""Payment verbs, by aggregate. They flush, never commit: the route or job that calls them commits.
    from portal.payments import services as payments
    payment = payments.start_payment(payable_type="food_order", payable_id=order.id, ...)

checkout.py starts and cancels; card.py confirms and syncs card payments; cash.py takes cash;
refunds.py gives money back; webhooks.py and reconcile.py apply what Stripe says; moves.py is
how any of them changes a payment (under a row lock, through `workflow.move`, ignoring a move
the flow does not allow); reading.py finds and names payments. docs/contracts.md is the public part.
"""

from portal.payments.declines import card_error_message, decline_code, decline_message
from portal.payments.services.card import confirm_card, sync_payment
from portal.payments.services.cash import mark_cash_received
from portal.payments.services.checkout import start_demo_payment, start_payment
from portal.payments.services.moves import PaymentError
from portal.payments.services.reading import (
    PAYABLE_LABELS,
    by_intent,
    other_way,
    pay_url,
    payable_label,
    payment_for,
    receipt_lines,
    receipt_url,
    register_other_way,
    register_receipt_lines,
    subsidy_totals,
)
from portal.payments.services.reconcile import RECONCILE_DAYS, WEBHOOK_MAX_ATTEMPTS, reconcile, reconcile_job
from portal.payments.services.refunds import refund
from portal.payments.services.webhooks import WebhookResult, handle_event

__all__ = [
    "PAYABLE_LABELS",
    "RECONCILE_DAYS",
    "WEBHOOK_MAX_ATTEMPTS",
    "PaymentError",
    "WebhookResult",
    "by_intent",
    "card_error_message",
    "confirm_card",
    "decline_code",
    "decline_message",
    "handle_event",
    "mark_cash_received",
    "other_way",
    "pay_url",
    "payable_label",
    "payment_for",
    "receipt_lines",
    "receipt_url",
    "reconcile",
    "reconcile_job",
    "refund",
    "register_other_way",
    "register_receipt_lines",
    "start_demo_payment",
    "start_payment",
    "subsidy_totals",
    "sync_payment",
]
