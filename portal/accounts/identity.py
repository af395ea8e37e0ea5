"""The signed-in user, as Flask-Login loads it: one query for the user and their roles."""

from __future__ import annotations

from typing import NamedTuple

from flask import current_app, g, session
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from portal.accounts.models import User
from portal.database import HotConnection, HotStatement
from portal.extensions import db, login_manager


def load_user(session_token: str) -> User | None:
    """Flask-Login's user loader: the user whose session token this is, with their roles
    (joined into the same query, since every page asks for them), or None."""
    return (
        db.session.scalars(select(User).options(joinedload(User.roles)).where(User.session_token == session_token))
        .unique()
        .one_or_none()
    )


# TODO(core, issue 15): plain_session_token and signed_in_as go when food's quick add does.
class SignedIn(NamedTuple):
    id: int
    locale: str | None


_SIGNED_IN = HotStatement(lambda: select(User.id, User.locale).where(User.session_token == bindparam("token")))


def plain_session_token() -> str | None:
    token = session.get("_user_id")
    if token is None or "_login_user" in g or current_app.config.get("LOGIN_DISABLED"):
        return None
    protection = current_app.config.get("SESSION_PROTECTION", login_manager.session_protection)
    if protection in ("basic", "strong") and session.get("_id") != login_manager._session_identifier_generator():
        return None
    return token


def signed_in_as(hot: HotConnection, token: str) -> SignedIn | None:
    rows = hot.run(_SIGNED_IN, token=token)
    return SignedIn(rows[0]["id"], rows[0]["locale"]) if rows else None
