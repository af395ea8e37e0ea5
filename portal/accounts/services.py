"""Account verbs. They flush; the request (or CLI command) commits."""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from portal.accounts.models import Role, User, UserRole
from portal.accounts.sessions import end_sessions
from portal.extensions import db
from portal.workflow import DomainError

log = logging.getLogger(__name__)

# Checked against when no account matches, so a wrong email costs as long as a wrong password.
_DUMMY_HASH: dict[str, str] = {}


class AccountError(DomainError):
    """A refusal with a message for the user."""


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def register(*, name: str, email: str, phone_e164: str, password: str, locale: str | None = None) -> User:
    if find_by_email(email):
        raise AccountError("email taken")
    user = User(
        name=name.strip(),
        email=email.strip().lower(),
        phone=phone_e164,
        password_hash=hash_password(password),
        locale=locale,
    )
    db.session.add(user)
    db.session.flush()
    log.info("user %s registered", user.id)
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_by_email(email)
    if user is None:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        dummy = _DUMMY_HASH.setdefault(method, generate_password_hash("x", method=method))
        check_password_hash(dummy, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def change_password(user: User, *, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current):
        raise AccountError("wrong password")
    user.password_hash = hash_password(new)
    end_sessions(user, keep=user.current_session)  # this browser stays signed in, every other one is out
    db.session.flush()
    log.info("user %s changed password", user.id)


def grant_role(user: User, role: Role, *, by: User | None = None) -> bool:
    """True if granted now, False if the user already had it."""
    if user.has_role(role):
        return False
    user.roles.append(UserRole(role=role.value, granted_by_id=by.id if by else None))
    db.session.flush()
    log.info("role %s granted to user %s by %s", role, user.id, by.id if by else "cli")
    return True


def revoke_role(user: User, role: Role, *, by: User | None = None) -> bool:
    for user_role in list(user.roles):
        if user_role.role == role:
            user.roles.remove(user_role)
            db.session.flush()
            log.info("role %s revoked from user %s by %s", role, user.id, by.id if by else "cli")
            return True
    return False
