"""The signed-in user, as Flask-Login loads it: the session row, the user and their roles in
one query (see portal.accounts.sessions for what a session is)."""

from __future__ import annotations

import logging

from flask import Flask, g
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload

from portal.accounts.models import User, UserSession
from portal.accounts.sessions import SEEN_EVERY, idle_limit, token_hash
from portal.database import serialized, utcnow
from portal.extensions import db, login_manager

log = logging.getLogger(__name__)


# Built once: a statement with bound parameters is compiled once (SQLAlchemy's compiled cache)
# and never rebuilt, for the query every signed-in request runs.
_OPEN_SESSION = (
    select(UserSession)
    .options(joinedload(UserSession.user, innerjoin=True).joinedload(User.roles))
    .where(
        UserSession.id == bindparam("session_id"),
        UserSession.revoked_at.is_(None),
        UserSession.last_seen_at > bindparam("seen_since"),
    )
)


def load_user(token: str) -> User | None:
    """Flask-Login's user loader: the user of the open session whose token this is, with their
    roles (every page asks for them), or None when it was ended or has been idle too long."""
    now = utcnow()
    row = (
        db.session.execute(_OPEN_SESSION, {"session_id": token_hash(token), "seen_since": now - idle_limit()})
        .unique()
        .scalar_one_or_none()
    )
    if row is None:
        return None
    if now - row.last_seen_at >= SEEN_EVERY:
        g.session_seen = (row.id, now)  # written when the request is over: _record_seen
    user = row.user
    user.current_session, user.session_key = row, token
    return user


def _record_seen(error: BaseException | None = None) -> None:
    """Write last_seen_at after the request, in a short transaction of its own. Not during it: a
    page view commits nothing, and on SQLite a request that reads (or holds the write lock) while
    another connection commits would be refused its own write. Best effort: a busy database only
    delays it to a later request."""
    seen = g.pop("session_seen", None)
    if seen is None:
        return
    db.session.remove()  # the request is over; its transaction ends before this one begins
    session_id, now = seen
    try:
        with serialized(), db.engine.begin() as connection:
            connection.execute(update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now))
    except OperationalError:
        log.warning("last_seen_at of a session not written: the database is busy")


def init_app(app: Flask) -> None:
    login_manager.user_loader(load_user)
    app.teardown_request(_record_seen)
