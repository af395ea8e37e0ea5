"""Flask-Login loads the signed-in user with an ordinary ORM query: the session row, the user
and the roles in one statement."""

from __future__ import annotations

from sqlalchemy import event, select

from portal.accounts.identity import load_user
from portal.accounts.models import Role, User
from portal.accounts.sessions import start_session
from tests.factories import UserFactory


def signed_in(user) -> str:
    """A session for `user`, as a login starts one; answers its token (what the cookie holds)."""
    start_session(user)
    token = user.get_id()
    return token


def test_the_session_the_user_and_roles_load_in_one_query(app, db):
    driver = UserFactory(roles=[Role.DRIVER, Role.OWNER])
    UserFactory(roles=[Role.ADMIN])  # someone else's roles never come along
    token = signed_in(driver)
    db.session.commit()
    db.session.expunge_all()
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        if not statement.startswith("BEGIN"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        loaded = load_user(token)
        assert loaded.role_names == [Role.OWNER, Role.DRIVER]
        assert loaded.get_id() == token and loaded.current_session.user_id == loaded.id
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert load_user("not-a-token") is None


def test_the_loaded_user_changes_and_loses_roles_like_any_other(app, db):
    plain = UserFactory()
    owner = UserFactory(roles=[Role.OWNER])
    plain_token, owner_token, owner_id = signed_in(plain), signed_in(owner), owner.id
    db.session.commit()
    db.session.expunge_all()

    loaded = load_user(owner_token)
    assert db.session.get(User, owner_id) is loaded
    loaded.locale = "en"
    db.session.commit()
    db.session.expunge_all()
    assert db.session.scalar(select(User.locale).where(User.id == owner_id)) == "en"

    assert load_user(plain_token).roles == []
    reloaded = load_user(owner_token)
    reloaded.roles.clear()  # revoking a role: delete-orphan cascades as usual
    db.session.commit()
    db.session.expunge_all()
    assert not load_user(owner_token).has_role(Role.OWNER)
