"""The signed-in user's loader and HotStatement skip SQLAlchemy's machinery: they must still
behave as the ORM and Core do (same values, same errors, one connection, visible to listeners)."""

from __future__ import annotations

import gc
import sqlite3

import pytest
import sqlalchemy.exc
from sqlalchemy import bindparam, event, inspect, select

from portal import _load_user
from portal.accounts.models import Role, User, UserRole
from portal.database import HotStatement, _forget_sqlite_reads, serialized, sqlite_connection
from tests.conftest import AuthActions
from tests.factories import UserFactory


def _columns(obj) -> dict:
    return {attr.key: getattr(obj, attr.key) for attr in inspect(type(obj)).column_attrs}


def test_the_loaded_user_has_the_values_and_types_the_orm_gives(db):
    user = UserFactory(roles=[Role.DRIVER, Role.OWNER], locale="en")
    db.session.commit()
    token, user_id = user.session_token, user.id
    db.session.expunge_all()
    orm = db.session.get(User, user_id)
    expected = _columns(orm)
    expected_roles = sorted((_columns(role) for role in orm.roles), key=lambda values: values["id"])
    db.session.expunge_all()
    loaded = _load_user(token)
    assert _columns(loaded) == expected
    assert {key: type(value) for key, value in _columns(loaded).items()} == {
        key: type(value) for key, value in expected.items()
    }
    assert [_columns(role) for role in loaded.roles] == expected_roles


def test_a_role_already_in_the_session_is_reused_not_a_500(db):
    user = UserFactory(roles=[Role.DRIVER])
    db.session.commit()
    token = user.session_token
    db.session.expunge_all()
    del user
    role = db.session.scalars(select(UserRole)).one()  # a role is loaded, its user is not
    gc.collect()
    loaded = _load_user(token)
    assert loaded.roles == [role]


def test_a_signed_in_page_checks_out_one_connection(app, db, client):
    """On PostgreSQL every checkout is pinged: the user and the page share one connection."""
    user = UserFactory()
    db.session.commit()
    AuthActions(client).login(user)
    client.get("/")
    checkouts: list[int] = []

    def count(*args) -> None:
        checkouts.append(1)

    event.listen(db.engine.pool, "checkout", count)
    try:
        assert client.get("/cart").status_code == 200
    finally:
        event.remove(db.engine.pool, "checkout", count)
    # On SQLite the user is read on the thread's own connection (no checkout), the page on the pool's.
    assert len(checkouts) == 1


def test_a_busy_database_raises_sqlalchemys_error(db):
    """BEGIN IMMEDIATE runs on the DBAPI connection; `except OperationalError` must still catch
    "database is locked" (rides and payments retry on it)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    db.session.remove()
    db.engine.dispose()

    def short_timeout(dbapi_connection, record) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=50")

    event.listen(db.engine, "connect", short_timeout)
    holder = db.engine.raw_connection()
    try:
        holder.driver_connection.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlalchemy.exc.OperationalError), serialized():
            db.session.connection()
    finally:
        holder.driver_connection.execute("ROLLBACK")
        holder.close()
        event.remove(db.engine, "connect", short_timeout)
        db.session.rollback()
        db.engine.dispose()


@pytest.mark.parametrize("app", [{"SQLALCHEMY_RECORD_QUERIES": True}], indirect=True)
def test_flask_sqlalchemys_query_recorder_sees_hot_statements(app, db):
    from flask_sqlalchemy.record_queries import get_recorded_queries

    user = UserFactory()
    db.session.commit()
    client = app.test_client()
    AuthActions(client).login(user)
    assert client.get("/account").status_code == 200
    with app.test_request_context():
        assert _load_user(user.session_token) is not None
        assert any("session_token" in query.statement for query in get_recorded_queries())


_NAME_OF = HotStatement(lambda: select(User.name).where(User.id == bindparam("user_id")))


def _sqlite_only(db) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's hot reads use the pool")


def test_sqlites_own_connection_sees_every_commit_and_holds_no_lock(db):
    """The thread keeps one connection for hot reads; it must read the latest commits and, between
    statements, hold nothing that would make a writer wait."""
    _sqlite_only(db)
    user = UserFactory(name="Sari")
    db.session.commit()
    assert _NAME_OF.first(user_id=user.id) == {"name": "Sari"}
    own = sqlite_connection(db.engine)
    assert not own.in_transaction
    user.name = "Sari Wulandari"
    with serialized():  # a writer on the pool's connection takes the write lock at once
        db.session.commit()
    assert _NAME_OF.first(user_id=user.id) == {"name": "Sari Wulandari"}
    assert sqlite_connection(db.engine) is own and not own.in_transaction


def test_dispose_closes_sqlites_own_connections_and_the_next_read_opens_one(db):
    _sqlite_only(db)
    user = UserFactory(name="Bayu")
    db.session.commit()
    assert _NAME_OF.first(user_id=user.id) == {"name": "Bayu"}
    before = sqlite_connection(db.engine)
    db.session.remove()
    db.engine.dispose()
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        before.execute("SELECT 1")
    assert _NAME_OF.first(user_id=user.id) == {"name": "Bayu"}
    assert sqlite_connection(db.engine) is not before


def test_a_forked_child_opens_its_own_and_leaves_the_parents_open(db):
    """SQLite forbids using a connection across fork(); the child must not close the parent's either."""
    _sqlite_only(db)
    parent = sqlite_connection(db.engine)
    _forget_sqlite_reads()  # what os.register_at_fork runs in the child
    child = sqlite_connection(db.engine)
    assert child is not parent
    assert parent.execute("SELECT 1").fetchone() == (1,)  # not closed
