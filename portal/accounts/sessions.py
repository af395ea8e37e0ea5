"""Server-side sessions: each login is a `UserSession` row, so signing out really ends it.

Flask-Login keeps the row's random token in the signed cookie (and the remember-me cookie) as
the user's id; the user loader (portal.accounts.identity) finds the row by the token's hash.
Ending a row (logout, a password change, "sign out" on /account, an admin's "sign out
everywhere") signs out every copy of those cookies. A table is enough for any number of app
processes; Redis is not needed. Verbs flush; the request commits.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from portal.accounts.models import User, UserSession
from portal.database import utcnow
from portal.extensions import db

SEEN_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often per session


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_limit() -> timedelta:
    """A session not seen for this long is over: as long as a remember-me cookie lasts."""
    duration = current_app.config["REMEMBER_COOKIE_DURATION"]
    return duration if isinstance(duration, timedelta) else timedelta(seconds=duration)


def start_session(user: User, *, user_agent: str = "", ip: str = "", now: datetime | None = None) -> UserSession:
    """A new session for `user` on this browser; `user.get_id()` answers its token afterwards,
    ready for Flask-Login's `login_user`."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    row = UserSession(
        id=token_hash(token), user=user, created_at=now, last_seen_at=now, user_agent=user_agent[:300], ip=ip[:45]
    )
    db.session.add(row)
    db.session.flush()
    user.current_session, user.session_key = row, token
    return row


def end_session(row: UserSession, *, now: datetime | None = None) -> None:
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
        db.session.flush()


def end_sessions(user: User, *, keep: UserSession | None = None, now: datetime | None = None) -> int:
    """End every open session of `user` but `keep` (this browser's, when it stays signed in);
    answers how many ended."""
    statement = (
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session="fetch")
    )
    if keep is not None:
        statement = statement.where(UserSession.id != keep.id)
    return db.session.execute(statement).rowcount


def active_sessions(user: User, *, now: datetime | None = None) -> list[UserSession]:
    """The user's open sessions, most recently seen first."""
    since = (now or utcnow()) - idle_limit()
    return list(
        db.session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None), UserSession.last_seen_at > since)
            .order_by(UserSession.last_seen_at.desc(), UserSession.created_at.desc())
        )
    )


def own_session(user: User, session_id: str) -> UserSession | None:
    """`user`'s open session with this id; None for anyone else's (the caller answers 404)."""
    return db.session.scalar(
        select(UserSession).where(
            UserSession.id == session_id, UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
        )
    )
