"""The declarative base, UTC-safe datetimes, and the SQLite settings every connection gets."""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import wraps
from types import SimpleNamespace
from weakref import WeakKeyDictionary

from flask import has_request_context, request
from sqlalchemy import DateTime, Executable, MetaData, String, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.sql.functions import FunctionElement
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


class string_agg(FunctionElement):
    """string_agg(expression, separator) on PostgreSQL, group_concat on SQLite. SQLAlchemy's own
    aggregate_strings renders its separator only when executed, which a HotStatement does not do."""

    type = String()
    inherit_cache = True


@compiles(string_agg)
def _group_concat(element, compiler, **kw) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)})"


@compiles(string_agg, "postgresql")
def _string_agg(element, compiler, **kw) -> str:
    return f"string_agg({compiler.process(element.clauses, **kw)})"


_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# None: decided by the request method (below). True/False: set by serialized() / write_lock_late.
_write_lock: ContextVar[bool | None] = ContextVar("sqlite_write_lock", default=None)


@contextmanager
def serialized() -> Iterator[None]:
    """Make the next SQLite transaction take the write lock when it begins, as POST requests
    do: for jobs, the CLI and tests, and for the write inside a `write_lock_late` view.
    On PostgreSQL rows are locked with FOR UPDATE instead."""
    token = _write_lock.set(True)
    try:
        yield
    finally:
        _write_lock.reset(token)


def write_lock_late(view: Callable) -> Callable:
    """For a POST whose only write is one atomic statement (an upsert that checks its own
    conditions): SQLite reads (the user, the form's checks) run without the write lock, and the
    view takes it only inside `write_transaction()`. Under load the lock is held for one
    statement instead of the whole request, so writers stop queueing behind each other."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        token = _write_lock.set(False)
        try:
            return view(*args, **kwargs)
        finally:
            _write_lock.reset(token)

    return wrapper


@contextmanager
def write_transaction() -> Iterator[None]:
    """End the read transaction, run the block in its own short write transaction, commit.

    Objects loaded before (the signed-in user) stay loaded across both commits, so nothing is
    read again inside the locked section or after it. On error the block is rolled back.
    """
    from portal.extensions import db

    session = db.session()
    fresh_reads()  # a SQLite read snapshot cannot be upgraded once another writer committed
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        with serialized():
            try:
                yield
                session.commit()
            except BaseException:
                session.rollback()
                raise
    finally:
        session.expire_on_commit = expire


def in_memory_sqlite(engine: Engine) -> bool:
    """An in-memory SQLite database lives in one connection, which the session shares."""
    return engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")


class _ThreadsReadConnections(threading.local):
    def __init__(self) -> None:
        self.by_engine: WeakKeyDictionary[Engine, tuple[object, object]] = WeakKeyDictionary()


_sqlite_reads = _ThreadsReadConnections()
_sqlite_reads_lock = threading.Lock()
_every_sqlite_read: WeakKeyDictionary[Engine, list] = WeakKeyDictionary()  # for dispose()
_inherited: list = []  # a parent's connections after fork: SQLite's must not be used, nor closed


def sqlite_connection(engine: Engine):
    """This thread's own connection to a SQLite file, kept open for `HotStatement`s: in
    autocommit, so between statements it holds no transaction, no snapshot and no lock. The
    hottest requests (the tracking poll, add-to-cart, the signed-in user) then skip the pool's
    checkout and return, about a third of what such a read costs in Python.

    The DBAPI connection, taken from the pool once (so the `connect` listeners set it up) and
    detached from it. `engine.dispose()` closes them all (tests, a changed `connect` listener),
    and the next use opens a fresh one from the new pool.
    """
    held = _sqlite_reads.by_engine.get(engine)
    if held is not None and held[0] is engine.pool:
        connection = held[1]
        if connection.in_transaction:  # a failed COMMIT or ROLLBACK left one open
            connection.rollback()
        return connection
    pool, pooled = engine.pool, engine.raw_connection()
    pooled.detach()  # ours until dispose(): never returned, never reset by the pool
    connection = pooled.dbapi_connection
    _sqlite_reads.by_engine[engine] = (pool, connection)
    with _sqlite_reads_lock:
        _every_sqlite_read.setdefault(engine, []).append(connection)
    return connection


@event.listens_for(Engine, "engine_disposed")
def _close_sqlite_reads(engine: Engine) -> None:
    with _sqlite_reads_lock:
        connections = _every_sqlite_read.pop(engine, [])
    for connection in connections:
        connection.close()


@atexit.register
def _close_every_sqlite_read() -> None:
    """The last connection to close checkpoints the WAL and removes the -wal and -shm files."""
    for engine in list(_every_sqlite_read.keys()):
        _close_sqlite_reads(engine)


def _forget_sqlite_reads() -> None:
    global _sqlite_reads
    for connections in _every_sqlite_read.values():
        _inherited.extend(connections)
    _every_sqlite_read.clear()
    _sqlite_reads = _ThreadsReadConnections()


os.register_at_fork(after_in_child=_forget_sqlite_reads)


class HotConnection:
    """A connection for a request that runs only `HotStatement`s and must not start an ORM
    transaction (add-to-cart's short path): `run(statement, **params)`, and `transaction()`
    around the write.

    On a SQLite file it is the thread's own (`sqlite_connection`); `close()` rolls back
    anything left open. On PostgreSQL it is a pooled connection of its own, returned to the
    pool (which rolls back anything left open) by `close()`. On SQLite, reads outside
    `transaction()` run in autocommit and hold no lock; `transaction()` is BEGIN IMMEDIATE ...
    COMMIT, so the write lock is held for just the statements inside it. On PostgreSQL the
    driver begins a transaction at the first statement and `transaction()` commits it; rows
    are locked, not the database. Where that connection would be the session's (in-memory
    SQLite), or the session already has a transaction open, it runs on the session's
    connection and `transaction()` is `write_transaction()`.
    """

    def __init__(self) -> None:
        from portal.extensions import db

        self.engine = engine = db.engine
        self._pooled = None  # PostgreSQL's, returned to the pool by close()
        if in_memory_sqlite(engine) or session_in_transaction():
            self._raw = None
        elif engine.dialect.name == "sqlite":
            self._raw = sqlite_connection(engine)
        else:
            self._pooled = engine.raw_connection()
            self._raw = self._pooled.driver_connection

    def run(self, statement: HotStatement, **params) -> list[dict]:
        if self._raw is None:
            return statement.in_session(**params)
        return statement.run(self.engine, self._raw, params)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._raw is None:
            with write_transaction():
                yield
            return
        if self.engine.dialect.name == "sqlite":
            self._execute("BEGIN IMMEDIATE")
        try:
            yield
            with dbapi_errors(self.engine, "COMMIT", ()):
                self._raw.commit()
        except BaseException:
            self._raw.rollback()
            raise

    def _execute(self, statement: str) -> None:
        with dbapi_errors(self.engine, statement, ()):
            self._raw.execute(statement)

    def close(self) -> None:
        if self._pooled is not None:
            self._pooled.close()  # back to the pool, which rolls back whatever a read began
        elif self._raw is not None and self._raw.in_transaction:
            self._raw.rollback()
        self._raw = self._pooled = None

    def __enter__(self) -> HotConnection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def session_in_transaction() -> bool:
    """Whether the request's ORM session has a transaction open, without building the session
    only to ask: a request that never needs it (add-to-cart's short path) then saves building
    it and closing it at teardown, 9 µs."""
    from portal.extensions import db

    return db.session.registry.has() and db.session().in_transaction()


def fresh_reads() -> None:
    """End the session's read transaction without expiring what it loaded (the signed-in user),
    so the next read sees every commit so far: on SQLite a transaction reads one snapshot."""
    from portal.extensions import db

    session = db.session()
    if session.in_transaction():
        expire, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire


class HotStatement:
    """One statement for the hottest requests (the signed-in user, the tracking poll, the menu,
    add-to-cart's upsert), run without SQLAlchemy's per-execution work: compiled once per engine
    by SQLAlchemy, executed on a DBAPI connection, each column converted by its own type (so
    datetimes come back aware, as from the ORM). It saves about 80 µs of the 100 µs a Core
    execution of the same query takes.

    `all()` / `first()` run a SELECT (see `all` for which connection); `in_session()` runs on
    the session's connection inside its transaction, for writes. The engine's
    before/after_cursor_execute listeners are called with the SQL, the parameters and a context
    holding both (no Connection), so query counters and recorders include it; driver errors are
    raised as SQLAlchemy's.
    """

    def __init__(self, build: Callable[[], Executable]) -> None:
        self._build = build
        self._prepared: WeakKeyDictionary[Engine, tuple] = WeakKeyDictionary()

    def _prepare(self, engine: Engine) -> tuple:
        dialect = engine.dialect
        statement = self._build()
        compiled = statement.compile(dialect=dialect)
        binds = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect) for bind, name in compiled.bind_names.items()
        }
        columns = list(statement.exported_columns)  # a SELECT's columns, or an INSERT's RETURNING
        names = [column.key for column in columns]
        processors = [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns]
        converters = [(name, process) for name, process in zip(names, processors, strict=True) if process]
        binds = [(name, process) for name, process in binds.items() if process]
        return compiled, binds, names, converters

    def first(self, **params) -> dict | None:
        rows = self.all(**params)
        return rows[0] if rows else None

    def all(self, **params) -> list[dict]:
        """A SELECT. On a SQLite file, on the thread's own connection (`sqlite_connection`) in
        autocommit: no BEGIN, no snapshot held. Elsewhere on the session's connection when the
        session has a transaction open (one checkout, and on PostgreSQL one ping, per request), else on a
        pooled connection of its own: a request that needs nothing else (a 304 poll) never
        starts an ORM transaction."""
        from portal.extensions import db

        engine = db.engine
        if engine.dialect.name == "sqlite":
            if in_memory_sqlite(engine):  # one connection, shared with the session
                return self.in_session(**params)
            return self.run(engine, sqlite_connection(engine), params)
        if session_in_transaction():
            return self.in_session(**params)
        connection = engine.raw_connection()
        try:
            return self.run(engine, connection, params)
        finally:
            connection.close()  # back to the pool, which rolls back whatever the driver began

    def in_session(self, **params) -> list[dict]:
        """Run on the request session's connection, inside its transaction (which this begins
        if none is open): for a write such as an upsert ... RETURNING, committed with the rest."""
        from portal.extensions import db

        connection = db.session.connection()
        return self.run(connection.engine, connection.connection, params)

    def run(self, engine: Engine, connection, params: dict) -> list[dict]:
        """Execute on a DBAPI connection the caller holds."""
        prepared = self._prepared.get(engine)
        if prepared is None:
            prepared = self._prepared[engine] = self._prepare(engine)
        compiled, binds, names, converters = prepared
        values = compiled.construct_params(params)
        for name, process in binds:
            if values.get(name) is not None:
                values[name] = process(values[name])
        sql = compiled.string
        args = tuple(values[name] for name in compiled.positiontup) if compiled.positional else values
        dispatch = engine.dispatch
        cursor = connection.cursor()
        try:
            if dispatch.before_cursor_execute or dispatch.after_cursor_execute:
                # Query counters, loggers and Flask-SQLAlchemy's query recorder see it too.
                context = SimpleNamespace(statement=sql, parameters=args)
                for listener in dispatch.before_cursor_execute:
                    listener(None, cursor, sql, args, context, False)
                rows = self._execute(engine, cursor, sql, args)
                for listener in dispatch.after_cursor_execute:
                    listener(None, cursor, sql, args, context, False)
            else:
                rows = self._execute(engine, cursor, sql, args)
        finally:
            cursor.close()
        result = []
        for row in rows:
            values = dict(zip(names, row, strict=True))
            for name, process in converters:
                if values[name] is not None:
                    values[name] = process(values[name])
            result.append(values)
        return result

    @staticmethod
    def _execute(engine: Engine, cursor, sql: str, args) -> list:
        with dbapi_errors(engine, sql, args):
            cursor.execute(sql, args)
            return cursor.fetchall()


class dbapi_errors:
    """Raise the driver's errors as SQLAlchemy's (OperationalError …), as a Core execution would,
    so `except sqlalchemy.exc.OperationalError` still catches "database is locked". A class, not
    a generator: it wraps every hot statement."""

    __slots__ = ("engine", "params", "statement")

    def __init__(self, engine: Engine, statement: str, params) -> None:
        self.engine, self.statement, self.params = engine, statement, params

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, traceback) -> bool:
        if error is None:
            return False
        driver_error = self.engine.dialect.loaded_dbapi.Error
        if isinstance(error, driver_error):
            raise DBAPIError.instance(
                self.statement, self.params, error, driver_error, dialect=self.engine.dialect
            ) from error
        return False


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
    # each one's page cache is dropped whenever another one commits (every add-to-cart).
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
    # Straight on the DBAPI connection: Core's execution machinery would cost more than the BEGIN.
    statement = "BEGIN IMMEDIATE" if writing else "BEGIN"
    with dbapi_errors(conn.engine, statement, ()):
        conn.connection.driver_connection.execute(statement)
