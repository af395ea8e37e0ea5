"""PostgreSQL restarts (an upgrade, a failover, a crash): the pooled connections all die at once.
No `pool_pre_ping` round trip per request: portal.database asks each connection's socket, when
it leaves the pool, whether the server hung up, and the pool swaps a dead one for a fresh one."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, text

from portal.config import database_url
from portal.extensions import db
from tests.conftest import make_app

pytestmark = pytest.mark.alone  # tests/parallel.py: a PostgreSQL cluster of its own, restarted

THREADS = 4


def test_pooled_connections_outlive_a_restart_without_a_ping_per_checkout(throwaway_postgres):
    app = make_app(database_url(throwaway_postgres.url))
    with app.app_context():
        engine = db.engine
        assert engine.pool._pre_ping is False
        opened, pings = [], []
        event.listen(engine, "connect", lambda *a: opened.append(1))
        do_ping = engine.dialect.do_ping
        engine.dialect.do_ping = lambda conn: pings.append(1) or do_ping(conn)

        def query(n: int) -> int:
            with app.app_context():  # a request: its own session, a connection out of the pool and back
                try:
                    return db.session.execute(text("SELECT :n + pg_backend_pid() * 0"), {"n": n}).scalar_one()
                finally:
                    db.session.remove()

        with ThreadPoolExecutor(THREADS) as pool:
            assert sorted(pool.map(query, range(40))) == list(range(40))
            before = len(opened)
            assert 1 <= before <= THREADS

            seconds = throwaway_postgres.restart()
            # Every pooled connection is dead now; not one request may see it.
            assert sorted(pool.map(query, range(40))) == list(range(40))

        reopened = len(opened) - before
        assert 1 <= reopened <= THREADS, f"{reopened} connections reopened after a {seconds:.2f}s restart"
        assert pings == [], f"{len(pings)} pings"
        print(f"\nPostgreSQL restart ({seconds:.2f}s): 0 failed queries, {reopened} connections reopened, 0 pings")
        engine.dispose()
