"""HTTP for one-time codes: verifying the phone (after registration, after a phone change) and
resetting a forgotten password with a code sent to the verified phone. Verbs: accounts/codes.py."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, logout_user

from portal.accounts import bp, codes
from portal.accounts.forms import EmptyForm, ForgotPasswordForm, PhoneCodeForm, ResetPasswordForm
from portal.accounts.routes import safe_next
from portal.extensions import db, limiter
from portal.formatting import phone as display
from portal.htmx import render


def _send_limit() -> str:
    return current_app.config["CODE_SEND_RATE_LIMIT"]


def _check_limit() -> str:
    return current_app.config["CODE_CHECK_RATE_LIMIT"]


def send_verification_code() -> bool:
    """Send the signed-in user a code (after registering, or on request); flash the outcome."""
    try:
        codes.send_verification(current_user, address=get_remote_address())
    except codes.CodeError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return False
    db.session.commit()
    flash(_("We sent a 6-digit code to %(phone)s.", phone=display(current_user.phone)), "info")
    return True


@bp.route("/account/phone", methods=["GET", "POST"])
@login_required
@limiter.limit(_check_limit, methods=["POST"])
def verify_phone():
    next_url = request.values.get("next")
    if current_user.phone_verified:
        return redirect(safe_next(next_url, "accounts.account"))
    form = PhoneCodeForm()
    if form.validate_on_submit():
        try:
            codes.verify_phone(current_user, form.code.data)
        except codes.CodeError as refused:
            db.session.commit()  # the wrong answer counts
            form.code.errors = [str(refused)]
        else:
            db.session.commit()
            flash(_("Your phone number is verified. Thank you!"), "success")
            return redirect(safe_next(next_url))
    return render(
        "accounts/verify_phone.html",
        form=form,
        resend=EmptyForm(),
        phone=display(current_user.phone),
        next_url=next_url,
        status=422 if request.method == "POST" else 200,
    )


@bp.post("/account/phone/code")
@login_required
@limiter.limit(_send_limit)
def send_phone_code():
    if EmptyForm().validate_on_submit() and not current_user.phone_verified:
        send_verification_code()
    return redirect(url_for("accounts.verify_phone", next=request.form.get("next") or None))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_send_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        codes.request_reset(form.email.data, address=get_remote_address())
        db.session.commit()
        # The same answer whether or not the email has an account: nobody learns who is a user.
        flash(
            _(
                "If this email belongs to an account with a verified phone, we sent a code to that phone. "
                "It expires in %(minutes)s minutes.",
                minutes=current_app.config["PHONE_CODE_TTL_MINUTES"],
            ),
            "info",
        )
        return redirect(url_for("accounts.reset_password", email=form.email.data.strip()))
    return render("accounts/forgot_password.html", form=form, status=422 if request.method == "POST" else 200)


@bp.route("/password/reset", methods=["GET", "POST"])
@limiter.limit(_check_limit, methods=["POST"])
def reset_password():
    form = ResetPasswordForm(email=(request.args.get("email") or "")[:254] or None)
    if form.validate_on_submit():
        try:
            codes.reset_password(form.email.data, form.code.data, form.password.data)
        except codes.CodeError as refused:
            db.session.commit()  # the wrong answer counts
            form.code.errors = [str(refused)]
        else:
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()
            flash(
                _("Your password is changed and every device is logged out. Log in with the new password."), "success"
            )
            return redirect(url_for("accounts.login"))
    return render("accounts/reset_password.html", form=form, status=422 if request.method == "POST" else 200)
