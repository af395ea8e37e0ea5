from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from portal.accounts import bp
from portal.accounts.forms import ChangePasswordForm, EmptyForm, LanguageForm, LoginForm, ProfileForm, RegisterForm
from portal.accounts.models import User
from portal.accounts.services import AccountError, authenticate, change_password, register
from portal.accounts.sessions import active_sessions, end_session, end_sessions, own_session, start_session
from portal.extensions import db, limiter
from portal.htmx import render
from portal.i18n import LANG_COOKIE, remember_language


def _address_and_account() -> str:
    """Rate-limit key for login-like forms: this address trying this account."""
    return f"{get_remote_address()}|{(request.form.get('email') or '').strip().lower()}"


def _address_and_user() -> str:
    return f"{get_remote_address()}|user:{current_user.id if current_user.is_authenticated else '-'}"


login_limits = [
    limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], key_func=_address_and_account),
    limiter.limit(lambda: current_app.config["LOGIN_ADDRESS_RATE_LIMIT"], methods=["POST"]),
]


def sign_in(user: User, *, remember: bool = False) -> None:
    """A session row for this browser, committed with whatever the view changed, then
    Flask-Login's cookie carrying its token."""
    start_session(user, user_agent=request.user_agent.string, ip=get_remote_address() or "")
    db.session.commit()
    login_user(user, remember=remember)
    refresh()  # the request chose the browser's language before anyone was signed in: speak the user's now


def safe_next(target: str | None, default: str = "main.index") -> str:
    """Only same-site paths: a login link must not bounce a user to another site."""
    if target:
        parts = urlsplit(target)
        # "/\\host" is "//host" to browsers; only plain same-site paths pass.
        if not parts.scheme and not parts.netloc and target.startswith("/") and target[1:2] not in ("/", "\\"):
            return target
    return url_for(default)


@bp.route("/register", methods=["GET", "POST"])
@login_limits[0]
@login_limits[1]
@limiter.limit(lambda: current_app.config["REGISTER_RATE_LIMIT"], methods=["POST"])
def register_view():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        user = register(
            name=form.name.data,
            email=form.email.data,
            phone_e164=form.phone.e164,
            password=form.password.data,
            locale=lang if (lang := request.cookies.get(LANG_COOKIE)) in current_app.config["LANGUAGES"] else None,
        )
        sign_in(user)
        flash(_("Welcome to Gancang, %(name)s!", name=user.name), "success")
        send_verification_code()  # ordering, booking and requesting wait for the verified phone
        return redirect(url_for("accounts.verify_phone"))
    return render("accounts/register.html", form=form, status=422 if form.errors else 200)


@bp.route("/login", methods=["GET", "POST"])
@login_limits[0]
@login_limits[1]
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            sign_in(user, remember=form.remember.data)
            response = redirect(safe_next(form.next.data))
            if user.locale:
                remember_language(response, user.locale)
            flash(_("You are logged in."), "success")
            return response
        # One message for unknown email and wrong password: no account enumeration.
        flash(_("Email or password is not right."), "error")
        form.password.data = ""
    return render("accounts/login.html", form=form, status=422 if request.method == "POST" else 200)


@bp.post("/logout")
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            end_session(current_user.current_session)  # a copy of the cookie opens nothing now
            db.session.commit()
        logout_user()
        flash(_("You are logged out."), "success")
    return redirect(url_for("main.index"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], key_func=_address_and_user)
def account():
    profile = ProfileForm(obj=current_user, prefix="profile")
    password = ChangePasswordForm(prefix="password")
    if request.method == "POST" and "profile-submit" in request.form and profile.validate():
        current_user.name = profile.name.data.strip()
        if current_user.phone != profile.phone.e164:  # a new number is verified anew
            current_user.phone, current_user.phone_verified_at = profile.phone.e164, None
        db.session.commit()
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("accounts.account"))
    if request.method == "POST" and "password-submit" in request.form and password.validate():
        try:
            change_password(current_user, current=password.current_password.data, new=password.password.data)
        except AccountError:
            password.current_password.errors = [_("Your current password is not right.")]
        else:
            db.session.commit()
            flash(_("Your password is changed. Other devices are logged out."), "success")
            return redirect(url_for("accounts.account"))
    failed = request.method == "POST"
    return render(
        "accounts/account.html",
        profile=profile,
        password=password,
        sessions=active_sessions(current_user),
        status=422 if failed else 200,
    )


@bp.post("/account/sessions/<session_id>/end")
@login_required
def end_device_session(session_id: str):
    """The "Sign out" beside one of the user's sessions; anyone else's is not found."""
    row = own_session(current_user, session_id)
    if row is None:
        abort(404)
    if EmptyForm().validate_on_submit():
        end_session(row)
        db.session.commit()
        if row.id == current_user.current_session.id:
            logout_user()
            flash(_("You are logged out."), "success")
            return redirect(url_for("main.index"))
        flash(_("%(device)s is signed out.", device=row.device), "success")
    return redirect(url_for("accounts.account", _anchor="sessions"))


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions():
    if EmptyForm().validate_on_submit():
        end_sessions(current_user, keep=current_user.current_session)
        db.session.commit()
        flash(_("Every other device is signed out."), "success")
    return redirect(url_for("accounts.account", _anchor="sessions"))


@bp.post("/language")
def language():
    form = LanguageForm()
    lang = form.lang.data if form.validate_on_submit() else None
    response = redirect(safe_next(form.next.data))
    if lang in current_app.config["LANGUAGES"]:
        remember_language(response, lang)
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return response


from portal.accounts import cli  # noqa: E402, F401 - registers `flask accounts rotate-data-key` on the blueprint
from portal.accounts.verification import send_verification_code  # noqa: E402 - its views need safe_next from here
