"""One-time codes sent to a user's phone: verifying the phone, and resetting a forgotten password.

A code is six digits, sent through `portal.notify` (marked sensitive: no log keeps it), stored
only as an HMAC keyed by SECRET_KEY, valid for minutes, spent by its first right answer, dead
after a few wrong ones; a new code replaces the older ones. Sending is limited per phone and per
asking address here, in the database every process shares (the routes add Flask-Limiter's
per-address limits on top). Verbs flush; the route commits, also after a wrong answer, so the
failure counts.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from portal import notify
from portal.accounts.models import PhoneCode, User
from portal.accounts.services import AccountError, find_by_email, hash_password
from portal.accounts.sessions import end_sessions
from portal.database import utcnow
from portal.extensions import db

log = logging.getLogger(__name__)


class Purpose(StrEnum):
    VERIFY = "verify"
    RESET = "reset"


class CodeError(AccountError):
    """A refusal with a message for the user."""


WRONG_CODE = _l("That code is not right, or it has expired. Ask for a new one if you need to.")


def _message(purpose: Purpose, code: str, minutes: int):
    """Lazy: rendered in the recipient's language when sent."""
    if purpose == Purpose.RESET:
        return _l(
            "Your Gancang password reset code is %(code)s. It expires in %(minutes)s minutes. "
            "If you did not ask for it, ignore this message.",
            code=code,
            minutes=minutes,
        )
    return _l(
        "Your Gancang code is %(code)s. It expires in %(minutes)s minutes. Never share it.", code=code, minutes=minutes
    )


def _digest(code: str, *, phone: str, purpose: str) -> str:
    key = hashlib.sha256(b"phone-code:" + current_app.config["SECRET_KEY"].encode()).digest()
    return hmac.new(key, f"{purpose}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _sent_since(column, value: str, since: datetime) -> int:
    return db.session.scalar(select(func.count(PhoneCode.id)).where(column == value, PhoneCode.created_at > since))


def issue(user: User, purpose: Purpose, *, address: str, now: datetime | None = None) -> None:
    """Send a new code to `user.phone`; earlier unused codes for the same purpose die.
    CodeError when this phone or this address has been sent enough codes lately."""
    now = now or utcnow()
    config = current_app.config
    since = now - timedelta(minutes=config["PHONE_CODE_WINDOW_MINUTES"])
    if _sent_since(PhoneCode.phone, user.phone, since) >= config["PHONE_CODES_PER_PHONE"]:
        raise CodeError(_l("We sent several codes to this number already. Wait an hour and try again."))
    if _sent_since(PhoneCode.address, address, since) >= config["PHONE_CODES_PER_ADDRESS"]:
        raise CodeError(_l("Too many codes were asked for from this connection. Wait an hour and try again."))
    db.session.execute(
        update(PhoneCode)
        .where(PhoneCode.user_id == user.id, PhoneCode.purpose == purpose.value, PhoneCode.used_at.is_(None))
        .values(used_at=now)
    )
    code = f"{secrets.randbelow(10**6):06d}"
    minutes = config["PHONE_CODE_TTL_MINUTES"]
    db.session.add(
        PhoneCode(
            purpose=purpose.value,
            phone=user.phone,
            user_id=user.id,
            address=address[:64],
            code_hash=_digest(code, phone=user.phone, purpose=purpose.value),
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
    )
    db.session.flush()
    notify.send(_message(purpose, code, minutes), user=user, sensitive=True)
    log.info("%s code sent to user %s", purpose.value, user.id)


def redeem(user: User, purpose: Purpose, code: str, *, now: datetime | None = None) -> None:
    """Spend the user's current code for `purpose`, or raise CodeError (a wrong answer counts)."""
    now = now or utcnow()
    row = db.session.scalars(
        select(PhoneCode)
        .where(
            PhoneCode.user_id == user.id,
            PhoneCode.purpose == purpose.value,
            PhoneCode.used_at.is_(None),
            PhoneCode.expires_at > now,
        )
        .order_by(PhoneCode.created_at.desc(), PhoneCode.id.desc())
        .limit(1)
        .with_for_update()
    ).first()
    typed = "".join((code or "").split())
    if row is None or row.phone != user.phone:
        raise CodeError(WRONG_CODE)
    if not hmac.compare_digest(row.code_hash, _digest(typed, phone=row.phone, purpose=purpose.value)):
        row.failed_attempts += 1
        if row.failed_attempts >= current_app.config["PHONE_CODE_MAX_FAILURES"]:
            row.used_at = now  # guessed at too often: dead
        db.session.flush()
        raise CodeError(WRONG_CODE)
    row.used_at = now
    db.session.flush()


def send_verification(user: User, *, address: str, now: datetime | None = None) -> None:
    if user.phone_verified:
        raise CodeError(_l("Your phone number is verified already."))
    issue(user, Purpose.VERIFY, address=address, now=now)


def verify_phone(user: User, code: str, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    redeem(user, Purpose.VERIFY, code, now=now)
    user.phone_verified_at = now
    db.session.flush()
    log.info("user %s verified their phone", user.id)


def request_reset(email: str, *, address: str, now: datetime | None = None) -> None:
    """Send a reset code to the account's verified phone. Says nothing either way (no account
    enumeration): an unknown email, an unverified phone or a spent allowance send nothing."""
    user = find_by_email(email or "")
    if user is None or not user.phone_verified:
        return
    try:
        issue(user, Purpose.RESET, address=address, now=now)
    except CodeError as refused:
        log.info("password reset code for user %s not sent: %s", user.id, refused.args[0])


def reset_password(email: str, code: str, new_password: str, *, now: datetime | None = None) -> User:
    """Set a new password with a code from the verified phone; every session of the account ends."""
    user = find_by_email(email or "")
    if user is None or not user.phone_verified:
        raise CodeError(WRONG_CODE)
    redeem(user, Purpose.RESET, code, now=now)
    user.password_hash = hash_password(new_password)
    end_sessions(user, now=now)  # every session, and every copy of its cookies, ends
    db.session.flush()
    log.info("user %s reset their password", user.id)
    return user
