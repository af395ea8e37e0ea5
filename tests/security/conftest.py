"""The standing probe runs on one app with the demo data seeded once (about ten seconds), shared
by the walks in tests/security/test_probe.py; tests/security/report.py prints its counts at the end of
the run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from portal import pagecache
from portal.extensions import db as _db
from portal.extensions import limiter
from tests.conftest import empty_all_tables, make_app
from tests.security.probe import ErrorLog, seeded


@pytest.fixture(scope="module")
def probed_app(database_uri: str, localstripe, fake_maps) -> Iterator[Flask]:
    # Every limit off: the walks sign in and post far more often than a person could.
    app = make_app(database_uri, **localstripe.config, **fake_maps.config, RATELIMIT_ENABLED=False)
    app.config["PROPAGATE_TEST_ERRORS"] = False  # a 500 is counted and reported, not raised
    errors = ErrorLog()
    app.logger.disabled = False  # Alembic's logging set-up disables loggers made before it
    app.logger.addHandler(errors)
    app.extensions["probe_errors"] = errors
    with app.app_context():
        seeded(app)
        yield app
        pagecache.clear_all()
        _db.session.remove()
        empty_all_tables()
        limiter.reset()
        _db.engine.dispose()
    app.logger.removeHandler(errors)
    limiter.enabled = True  # init_app keeps the last app's setting for the next app: give it back
