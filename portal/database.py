"""The declarative base, UTC-safe datetimes, and the SQLite settings every connection gets.
Imports nothing from portal: portal.extensions builds `db` on this Base."""

from __future__ import annotations

import select
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import Flask, current_app, has_request_context, request
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import DateTime, MetaData, Select, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, SessionTransaction, registry
from sqlalchemy.pool import Pool
from sqlalchemy.types import TypeDecorator

# Named constraints, so migrations can drop and alter them on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores UTC; always hands back an aware datetime (SQLite forgets tzinfo, PostgreSQL keeps it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware UTC datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(metadata=MetaData(naming_convention=NAMING), type_annotation_map={datetime: UTCDateTime})


_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# None: decided by the request method (below). True: set by serialized().
_write_lock: ContextVar[bool | None] = ContextVar("sqlite_write_lock", default=None)


@contextmanager
def serialized() -> Iterator[None]:
    """Make the next SQLite transaction take the write lock when it begins, as POST requests
    do: for jobs, the CLI and tests. On PostgreSQL rows are locked with FOR UPDATE instead."""
    token = _write_lock.set(True)
    try:
        yield
    finally:
        _write_lock.reset(token)


def fresh_reads() -> None:
    """End the session's read transaction without expiring what it loaded (the signed-in user),
    so the next read sees every commit so far: on SQLite a transaction reads one snapshot. The
    menu cache (portal/food/routes/public.py) keys a page by a version read after this."""
    session = current_app.extensions["sqlalchemy"].session()  # Flask-SQLAlchemy's, as db.session
    # PostgreSQL reads committed data statement by statement: a COMMIT and a new BEGIN would be
    # two round trips for nothing on every signed-in menu visit.
    if session.in_transaction() and session.get_bind().dialect.name == "sqlite":
        expire, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire


READER = "portal.reader"  # app.extensions key: the engine page views read through
_WROTE = "portal.wrote"  # Session.info key: this session has begun a transaction to write


class Session(FlaskSession):
    """db.session: on PostgreSQL a page view (GET, HEAD) reads outside a transaction until it
    writes, as Django runs by default. A request that only reads (a menu, a 304 poll) then
    costs its queries and no BEGIN and ROLLBACK round trips around them.

    The routing is SQLAlchemy's own recipe for a read/write split (Session.get_bind, "Custom
    Vertical Partitioning"), to the same database through the same pool: the reader is the
    engine with DBAPI autocommit (Engine.execution_options). What it sends there is only a
    plain SELECT of a page view before anything was written: a flush, an INSERT/UPDATE/DELETE,
    text() and SELECT ... FOR UPDATE go to the transaction, and once the session has begun one
    every later read of the request goes there too, so it reads its own writes. POST requests,
    jobs, the CLI and SQLite are not touched. Under PostgreSQL's READ COMMITTED each statement
    of a transaction sees what was committed before it anyway: reading outside one changes what
    a page sees by nothing.
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if (
            bind is None
            and isinstance(clause, Select)
            # SELECT ... FOR UPDATE locks rows until the transaction ends: it must be in one.
            # (Select keeps it in _for_update_arg; SQLAlchemy's compilers read it the same way.)
            and clause._for_update_arg is None
            and not self._flushing
            and not self.info.get(_WROTE)
            and has_request_context()
            and request.method in _READ_METHODS
        ):
            reader = current_app.extensions.get(READER)
            if reader is not None:
                return reader
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


@event.listens_for(Session, "after_begin")
def _wrote(session: Session, transaction: SessionTransaction, connection) -> None:
    if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
        session.info[_WROTE] = True


def init_reader(app: Flask, engine: Engine) -> None:
    """Give page views their reader (see Session): PostgreSQL only. SQLite's reads already run
    without a server round trip, and its BEGIN chooses the write lock (_sqlite_on_begin)."""
    if engine.dialect.name == "postgresql":
        app.extensions[READER] = engine.execution_options(isolation_level="AUTOCOMMIT")


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    # We emit BEGIN ourselves (below), so pysqlite must not.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Pages are read through a memory map, not read() calls: with several worker processes,
    # each one's page cache is dropped whenever another one commits.
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn) -> None:
    """SQLite has no row locks: a writer takes the write lock when its transaction begins.

    Page views (GET) begin deferred and read concurrently under WAL; requests that may write
    (POST …) and jobs begin IMMEDIATE, so read-check-write sequences such as "is the seat still
    free?" are serialised the way SELECT ... FOR UPDATE serialises them on PostgreSQL.
    """
    if conn.dialect.name != "sqlite":
        return
    writing = _write_lock.get()
    if writing is None:
        writing = has_request_context() and request.method not in _READ_METHODS
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def server_hung_up(dbapi_connection) -> bool:
    """Did the server end this idle connection (a restart, a terminated backend, an idle
    timeout)? Asked of the socket, not the server: a server that goes away sends its goodbye
    (or the kernel its FIN), so an idle connection with anything to read is finished. A poll
    with no wait is a system call, not a round trip; SQLite has no socket to ask."""
    if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
        return True
    try:
        fd = dbapi_connection.fileno()
    except Exception:  # noqa: BLE001 - a connection that cannot name its socket is finished
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


@event.listens_for(Pool, "checkout")
def _discard_hung_up(dbapi_connection, connection_record, connection_proxy) -> None:
    """Instead of `pool_pre_ping` (a SELECT 1 round trip on every checkout, i.e. every request):
    a connection the server has ended is replaced before anyone uses it. The pool discards a
    connection whose checkout raises DisconnectionError and hands out a fresh one."""
    if type(dbapi_connection).__module__ == "sqlite3":
        return
    if server_hung_up(dbapi_connection):
        raise DisconnectionError("the database server closed this connection")
