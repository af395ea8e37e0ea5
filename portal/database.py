"""The declarative base, UTC-safe datetimes, and the SQLite settings every connection gets.
Imports nothing from portal: portal.extensions builds `db` on this Base."""

from __future__ import annotations

import select
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import current_app, has_request_context, request
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, registry
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
