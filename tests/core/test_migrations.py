"""The schema comes only from migrations: applying them all yields exactly the models."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from portal.extensions import db
from tests.conftest import make_app


def test_migrations_match_the_models(app):
    # The session database was built by `upgrade heads`; nothing may differ from the models.
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_sqlite_runs_with_foreign_keys_and_wal(app):
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_sqlite_migrations_keep_the_rows_they_copy(tmp_path):
    """A batch migration recreates a table; with foreign keys on, SQLite's DROP TABLE of the old
    copy cascaded into every child row (a user's roles, orders, carts were deleted)."""

    app = make_app(f"sqlite:///{tmp_path / 'old.db'}")
    with app.app_context():
        upgrade(revision="0440")  # before users.session_token is dropped (0450)
        db.session.execute(
            sa.text(
                "INSERT INTO users (id, name, email, phone, password_hash, session_token, created_at) "
                "VALUES (1, 'Ana', 'ana@example.com', '+628123456789', 'x', 't1', '2026-12-01 00:00:00')"
            )
        )
        db.session.execute(
            sa.text("INSERT INTO user_roles (user_id, role, granted_at) VALUES (1, 'owner', '2026-12-01 00:00:00')")
        )
        db.session.commit()
        upgrade(revision="heads")
        assert db.session.execute(sa.text("SELECT count(*) FROM user_roles")).scalar() == 1
        assert db.session.execute(sa.text("SELECT count(*) FROM users")).scalar() == 1
        db.session.remove()
        db.engine.dispose()
