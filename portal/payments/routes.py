"""HTTP for payments: the shared card page, its confirm call, the receipt, the Stripe webhook."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from urllib.parse import urlsplit

import click
from flask import abort, current_app, jsonify, redirect, request, url_for
from flask_login import current_user, login_required

from portal.accounts.access import ensure
from portal.accounts.forms import EmptyForm
from portal.accounts.models import Role
from portal.actions import act
from portal.database import serialized
from portal.extensions import csrf, db
from portal.htmx import render
from portal.payments import bp
from portal.payments.client import MalformedEvent, SignatureError, check_event, verify
from portal.payments.models import Payment, PaymentMethod, PaymentStatus
from portal.payments.pages import card_page, confirm_answer, say_received
from portal.payments.services import (
    handle_event,
    pay_url,
    payable_label,
    receipt_lines,
    reconcile,
    start_demo_payment,
    sync_payment,
)

log = logging.getLogger(__name__)


@bp.record_once
def _require_keys(state) -> None:
    """Production talks to real Stripe and must have its keys (development uses localstripe's)."""
    config = state.app.config
    if config.get("ENV_NAME") == "production":
        names = ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET")
        missing = [name for name in names if not config.get(name)]
        if missing:
            raise RuntimeError(f"production needs these environment variables: {', '.join(missing)}")


REAL_STRIPE_FRAMES = ["https://hooks.stripe.com", "https://*.js.stripe.com"]
REAL_STRIPE_SCRIPTS = ["https://*.js.stripe.com"]


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


@bp.after_app_request
def _allow_stripe_js(response):
    """Once per app, before portal/security.py builds the CSP (after_request hooks run in
    reverse order, and security registered first): let the policy load Stripe.js, its frames
    and its API calls from the configured origins."""
    app = current_app
    if not app.extensions.get("payments_csp"):
        app.extensions["payments_csp"] = True

        def origin(url: str) -> str:
            parts = urlsplit(url)
            return f"{parts.scheme}://{parts.netloc}"

        js = origin(app.config["STRIPE_JS_URL"])
        api = origin(app.config["STRIPE_API_BASE"])
        # Real Stripe runs 3-D Secure in frames from hooks.stripe.com and its js.stripe.com
        # subdomains; without them the bank's challenge cannot open and the card payment stalls.
        real = urlsplit(app.config["STRIPE_API_BASE"]).hostname == "api.stripe.com"
        frames = app.config.get("STRIPE_CSP_FRAME_SRC", REAL_STRIPE_FRAMES if real else [])
        scripts = app.config.get("STRIPE_CSP_SCRIPT_SRC", REAL_STRIPE_SCRIPTS if real else [])
        app.config["CSP_SCRIPT_SRC"] = _unique([*app.config["CSP_SCRIPT_SRC"], js, *scripts])
        app.config["CSP_FRAME_SRC"] = _unique([*app.config["CSP_FRAME_SRC"], js, *frames])
        app.config["CSP_CONNECT_SRC"] = _unique([*app.config["CSP_CONNECT_SRC"], api, js])
    return response


def _own_payment(payment_id: int) -> Payment:
    payment = db.session.get(Payment, payment_id)
    ensure(payment is not None and (payment.customer_id == current_user.id or current_user.has_role(Role.ADMIN)))
    return payment


def _safe_return(payment: Payment) -> str:
    url = payment.return_url or "/"
    parts = urlsplit(url)
    local = not parts.scheme and not parts.netloc and url.startswith("/") and not url.startswith("//")
    return url if local and "\\" not in url else "/"


@bp.get("/payments/<int:payment_id>/pay")
@login_required
def pay(payment_id: int):
    payment = db.session.get(Payment, payment_id)
    ensure(payment is not None and payment.customer_id == current_user.id)
    if payment.kind != PaymentMethod.CARD:
        return redirect(url_for("payments.receipt", payment_id=payment.id))
    if payment.state.open:  # paid in another tab, webhook not here yet: never offer to pay twice
        payment = sync_payment(payment)
        db.session.commit()
    if payment.state.paid or payment.state == PaymentStatus.PROCESSING:
        say_received(payment)
        return redirect(_safe_return(payment))
    if not payment.state.open:  # cancelled: nothing to pay
        return redirect(url_for("payments.receipt", payment_id=payment.id))
    return card_page(
        payment,
        confirm_url=url_for("payments.confirm", payment_id=payment.id),
        details_url=url_for("payments.receipt", payment_id=payment.id),
    )


@bp.post("/payments/<int:payment_id>/confirm")
@login_required
def confirm(payment_id: int):
    """Called by static/js/payments.js with the Stripe.js card token (never the card number)."""
    payment = db.session.get(Payment, payment_id)
    ensure(payment is not None and payment.customer_id == current_user.id)
    return confirm_answer(
        payment,
        done_url=_safe_return(payment),
        checking_url=url_for("payments.receipt", payment_id=payment_id),
        retry_url=url_for("payments.pay", payment_id=payment_id),
    )


@bp.route("/payments/try", methods=["GET", "POST"])
@login_required
def try_card():
    """Development only: a Rp25.000 test payable, so `make run` shows a card payment end to end."""
    if not current_app.config["SEED_DEMO"]:
        abort(404)
    form = EmptyForm()
    if form.validate_on_submit():
        with act() as outcome:
            payment = start_demo_payment(current_user)
        if not outcome.ok:
            return redirect(url_for("payments.try_card"))
        return redirect(pay_url(payment))
    return render("payments/try.html", form=form)


@bp.get("/payments/<int:payment_id>")
@login_required
def receipt(payment_id: int):
    payment = _own_payment(payment_id)
    if payment.kind == PaymentMethod.CARD and payment.state.open:
        sync_payment(payment)
        db.session.commit()
    return render("payments/receipt.html", payment=payment, what=payable_label(payment), lines=receipt_lines(payment))


@bp.post("/webhooks/stripe")
@csrf.exempt
def stripe_webhook():
    payload = request.get_data()
    try:
        event = verify(
            payload,
            request.headers.get("Stripe-Signature"),
            current_app.config["STRIPE_WEBHOOK_SECRET"],
            tolerance=current_app.config["STRIPE_WEBHOOK_TOLERANCE"],
        )
    except SignatureError as error:
        log.warning("stripe webhook refused: %s", error)
        return jsonify(error="invalid signature"), 400
    try:
        check_event(event)
    except MalformedEvent as error:  # signed, but nothing we can apply: store nothing
        log.warning("stripe webhook %r refused: %s", str(event.get("id"))[:80], error)
        return jsonify(error="malformed event"), 400
    result = handle_event(event)
    db.session.commit()
    return jsonify(outcome=result.outcome), result.status_code


@bp.cli.command("reconcile")
@click.option("--minutes", default=2, show_default=True, help="Only payments untouched for this long.")
@click.option("--every", type=int, default=0, help="Keep reconciling every N seconds (`make run` uses 60).")
def reconcile_command(minutes: int, every: int) -> None:
    """Poll Stripe for payments and refunds whose webhook never came (or whose answer was lost)."""
    while True:
        try:
            with serialized():
                counts = reconcile(older_than=timedelta(minutes=minutes))
                db.session.commit()
        except Exception:
            db.session.rollback()
            if not every:
                raise
            click.echo("payments: reconcile failed; trying again", err=True)
        else:
            click.echo(
                f"reconciled {counts['payments']} payments, {counts['refunds']} refunds, "
                f"{counts['events']} stored events"
            )
        if not every:
            return
        time.sleep(every)
