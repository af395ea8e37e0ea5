"""The signed-in user, loaded on every request: one precompiled query, no ORM query machinery.

Every signed-in request pays for this before it does anything else, so it should cost little.
`load_user` reads the user and their roles with one `HotStatement` (a LEFT JOIN, one row per role)
and puts them into the request's session as if the ORM had loaded them: the same instances,
persistent and unmodified, so `current_user` still works everywhere a User does (relationships
load lazily, changes flush, `db.session.get` finds it). The ORM's own query and row processing
cost about three times as much.

The objects are built the way SQLAlchemy's loader builds them: a new instance from the mapper's
class manager, column values written to its `__dict__`, then `make_transient_to_detached()`
(marks every value as loaded, no history) and `Session.add()` (persistent, in the identity map).
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

from flask import current_app, g, session
from sqlalchemy import Select, bindparam, inspect, select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from portal.accounts.models import User, UserRole
from portal.database import HotConnection, HotStatement
from portal.extensions import db, login_manager

_ROLE = "role__"


def _statement() -> Select:
    user, role = inspect(User), inspect(UserRole)
    return (
        select(
            *(prop.columns[0].label(prop.key) for prop in user.column_attrs),
            *(prop.columns[0].label(_ROLE + prop.key) for prop in role.column_attrs),
        )
        .outerjoin(UserRole, UserRole.user_id == User.id)
        .where(User.session_token == bindparam("token"))
        .order_by(UserRole.id)
    )


_USER_WITH_ROLES = HotStatement(_statement)


@cache
def _keys() -> tuple[list[str], list[str]]:
    return [p.key for p in inspect(User).column_attrs], [p.key for p in inspect(UserRole).column_attrs]


def load_user(session_token: str) -> User | None:
    """Flask-Login's user loader: the user whose session token this is, with roles, or None."""
    if db.engine.dialect.name == "sqlite":
        rows = _USER_WITH_ROLES.all(token=session_token)  # autocommit: no BEGIN for a page that needs none
    else:  # the request goes on to use the session: one connection (and ping) for both
        rows = _USER_WITH_ROLES.in_session(token=session_token)
    if not rows:
        return None
    session = db.session()
    loaded = session.identity_map.get(identity_key(User, rows[0]["id"]))
    if loaded is not None:  # already in this session (a test, or a second load): keep one instance
        return loaded
    role_ids = [row[_ROLE + "id"] for row in rows if row[_ROLE + "id"] is not None]
    if any(session.identity_map.get(identity_key(UserRole, role_id)) is not None for role_id in role_ids):
        # Some of the roles are loaded already (without their user): let the ORM merge the rest.
        return session.get(User, rows[0]["id"])
    user_keys, role_keys = _keys()
    user = _instance(User, {key: rows[0][key] for key in user_keys})
    roles = []
    for row in rows:
        if row[_ROLE + "id"] is None:  # the outer join's row for a user without roles
            continue
        role = _instance(UserRole, {key: row[_ROLE + key] for key in role_keys})
        role.__dict__["user"] = user
        make_transient_to_detached(role)
        roles.append(role)
    make_transient_to_detached(user)
    set_committed_value(user, "roles", roles)
    session.add(user)  # cascades to the roles
    return user


class SignedIn(NamedTuple):
    id: int
    locale: str | None


_SIGNED_IN = HotStatement(lambda: select(User.id, User.locale).where(User.session_token == bindparam("token")))


def plain_session_token() -> str | None:
    """The session's user token when Flask-Login would do nothing but look the user up with
    it, so a request that needs only their id and language (add-to-cart's common case) may do
    that itself: `signed_in_as`. Reads the session only; no query.

    None, for the caller to take the full path through `current_user`, when: nobody is in the
    session (a remember-me cookie may still sign them in), login is disabled, the user is
    already loaded, or session protection would act: another browser or address than at
    login, or a session restored from a remember-me cookie, which Flask-Login leaves without
    the identifier until the next login.
    """
    token = session.get("_user_id")
    if token is None or "_login_user" in g or current_app.config.get("LOGIN_DISABLED"):
        return None
    protection = current_app.config.get("SESSION_PROTECTION", login_manager.session_protection)
    if protection in ("basic", "strong") and session.get("_id") != login_manager._session_identifier_generator():
        return None
    return token


def signed_in_as(hot: HotConnection, token: str) -> SignedIn | None:
    """Who `token` (from `plain_session_token`) signs in: one indexed lookup, no `User` built,
    nothing put in the ORM session. None when it matches nobody: signed out elsewhere."""
    rows = hot.run(_SIGNED_IN, token=token)
    return SignedIn(rows[0]["id"], rows[0]["locale"]) if rows else None


def _instance(cls: type, values: dict):
    instance = inspect(cls).class_manager.new_instance()
    instance.__dict__.update(values)
    return instance
