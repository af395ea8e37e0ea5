"""The card page and its confirm call, for whoever may pay: payments' own routes (the signed-in
customer) and a payable's routes for a payer without an account (a medicine patient's link).

The caller has already decided the visitor may pay this payment; these only show and confirm.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, flash, jsonify, redirect, request
from flask_babel import gettext as _

from portal.accounts.forms import EmptyForm
from portal.actions import act
from portal.extensions import db
from portal.formatting import rupiah
from portal.htmx import render
from portal.payments.declines import DECLINED, client_messages
from portal.payments.models import Payment, PaymentStatus
from portal.payments.services import confirm_card, other_way, payable_label
from portal.payments.services.card import CHECKING


def card_page(
    payment: Payment,
    *,
    confirm_url: str,
    details_url: str | None,
    way_out: tuple[str, str] | None = None,
    status: int = 200,
):
    """The card form for an open card payment; it posts the Stripe.js token to `confirm_url`.

    `way_out` (label, URL to POST) replaces the payable's registered other way, for a payer whose
    URLs only the route knows (a medicine patient's link carries its token)."""
    return render(
        "payments/pay.html",
        payment=payment,
        what=payable_label(payment),
        confirm_url=confirm_url,
        details_url=details_url,
        stripe_js=current_app.config["STRIPE_JS_URL"],
        publishable_key=current_app.config["STRIPE_PUBLISHABLE_KEY"],
        other_way=way_out or other_way(payment),
        card_messages=client_messages(),
        status=status,
    )


def confirm_answer(payment: Payment, *, done_url: str, checking_url: str, retry_url: str):
    """static/js/payments.js's submit: JSON saying where to go next, or what went wrong.

    `done_url` once paid (or processing), `checking_url` when the answer was lost (never "try
    again": the card may be charged), `retry_url` for a browser without JavaScript."""
    payment_id = payment.id
    wants_json = request.accept_mimetypes.best == "application/json"
    token = (request.form.get("token") or "").strip() or None
    if token is not None and not token.startswith(("tok_", "pm_")):
        token = None
    if not wants_json and token is None:
        flash(_("Paying by card needs JavaScript. Please turn it on, or choose another way to pay."), "error")
        return redirect(retry_url)
    with act(flash_error=False) as outcome:
        intent = confirm_card(payment, token)
    if outcome.error:
        return jsonify(error=outcome.error), 503
    if intent.get("status") == CHECKING:
        # The card may be charged: never "try again" here (a second charge), never "nothing was charged".
        message = _(
            "We did not hear back from the payment service in time. We are checking your payment; "
            "this page shows the result in a moment. Please do not pay again."
        )
        flash(message, "info")
        return jsonify(redirect=checking_url, checking=message)
    payment = db.session.get(Payment, payment_id)
    if payment.state.paid or payment.state == PaymentStatus.PROCESSING:
        say_received(payment)
        return jsonify(redirect=done_url)
    if intent.get("status") == "requires_action":
        return jsonify(action=payment.client_secret)
    if payment.state == PaymentStatus.FAILED:
        # A decline is an answer, not an error of this call: 200, and the page shows the message.
        return jsonify(error=payment.failure_message or str(DECLINED), declined=True)
    if payment.state == PaymentStatus.CANCELLED:
        return jsonify(error=_("This payment was cancelled.")), 409
    return jsonify(error=_("The payment is not complete yet. Please try again.")), 409


def say_received(payment: Payment) -> None:
    """The page the customer lands on after paying (their order, ride, document, medicine link)
    says the money came in; a payment still processing says when it will."""
    if payment.state == PaymentStatus.SUCCEEDED:
        flash(_("Payment received: %(amount)s by card. Thank you!", amount=rupiah(payment.amount)), "success")
    elif payment.state == PaymentStatus.PROCESSING:
        flash(
            _(
                "Your card payment of %(amount)s is being processed. This page shows it as paid once it is received.",
                amount=rupiah(payment.amount),
            ),
            "info",
        )


def cash_instead(
    *,
    allowed: bool,
    switch: Callable[[], bool | None],
    switched: str,
    amount: int,
    what: str,
    action: str,
    back: str,
    note: str = "",
):
    """ "Pay in cash to the courier instead?", the whole exchange, for every payable's switch
    from card to cash: asked first on its own page (a GET, or the card page's way-out POST),
    which works without JavaScript, while the switch is `allowed`; its "yes" posts
    `confirmed=1` with the CSRF token back to `action`, which calls `switch()` and says
    `switched`, or that the card had been paid already when `switch()` answers False. A "yes"
    from a page left open after the switch stopped being allowed still reaches `switch()`, which
    says why not. "No" goes `back`. The route has checked who may switch."""
    if request.method == "POST" and request.form.get("confirmed") == "1" and EmptyForm().validate_on_submit():
        with act() as outcome:
            result = switch()
        if outcome.ok and result is not False:
            flash(switched, "success")
        elif outcome.ok:
            flash(_("Your card payment had already gone through: nothing changes."), "info")
        return redirect(back)
    if not allowed:
        return redirect(back)
    return render("payments/cash_instead.html", amount=amount, what=what, action=action, back=back, note=note)
