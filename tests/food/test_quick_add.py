"""Add-to-cart's short path (htmx, signed in, the dish accepted) must answer exactly as the full
path would, and hand everything else to it: refusals, other browsers, signed-out sessions."""

from __future__ import annotations

import pytest
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import event, literal_column, select, table

from portal.database import HotStatement, sqlite_connection
from portal.extensions import db as _db
from portal.food import routes
from portal.food import services as food
from portal.food.models import CartItem
from tests.factories import UserFactory

HX = {"HX-Request": "true"}


@pytest.fixture
def paths(monkeypatch):
    """Which path answered each add: "short" or "full"."""
    taken: list[str] = []
    short = routes._quick_add

    def spy():
        response = short()
        taken.append("full" if response is None else "short")
        return response

    monkeypatch.setattr(routes, "_quick_add", spy)
    return taken


def _add(client, token: str, dish_id: int, **headers):
    return client.post("/cart/items", data={"dish_id": dish_id, "csrf_token": token}, headers=HX | headers)


def _session(app, response) -> dict | None:
    cookie = next((c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")), None)
    if cookie is None:
        return None
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    return serializer.loads(cookie.split(";")[0].removeprefix("session="))


@pytest.mark.parametrize(
    ("locale", "cookie", "expected"),
    [("en", None, "1 in cart"), ("id", None, "1 di keranjang"), (None, "en", "1 in cart"), (None, "id", "1 di")],
)
def test_the_short_path_answers_as_the_full_path_does(
    client, auth, db, dishes, monkeypatch, paths, locale, cookie, expected
):
    """The same fragment, status and headers, in the user's language or else the browser's."""
    customer = UserFactory(locale=locale)
    db.session.commit()
    if cookie:
        client.set_cookie("lang", cookie)
    auth.login(customer)
    token = auth.csrf_token(f"/warungs/{dishes[0].warung.slug}")
    short = _add(client, token, dishes[0].id)
    assert paths == ["short"]
    assert short.status_code == 200 and expected in short.get_data(as_text=True)
    assert db.session.query(CartItem).one().quantity == 1

    db.session.query(CartItem).delete()
    db.session.commit()
    monkeypatch.setattr(routes, "_quick_add", lambda: None)
    full = _add(client, token, dishes[0].id)
    assert full.status_code == short.status_code
    assert full.get_data(as_text=True) == short.get_data(as_text=True)
    for header in ("Content-Type", "Vary", "Content-Security-Policy", "X-Frame-Options"):
        assert full.headers.get(header) == short.headers.get(header), header
    assert full.headers.getlist("Set-Cookie") == short.headers.getlist("Set-Cookie") == []


def test_the_short_path_uses_three_statements_and_one_connection(
    client, auth, db, dishes, customer, paths, monkeypatch
):
    auth.login(customer)
    token, dish_id = auth.csrf_token(f"/warungs/{dishes[0].warung.slug}"), dishes[2].id
    statements: list[str] = []
    checkouts: list[int] = []
    sessions: list[int] = []
    build = _db.session.registry.createfunc

    def build_session(*args, **kwargs):
        sessions.append(1)
        return build(*args, **kwargs)

    monkeypatch.setattr(_db.session.registry, "createfunc", build_session)

    def record(conn, cursor, statement, *args) -> None:
        if not statement.startswith("BEGIN"):
            statements.append(statement)

    def checkout(*args) -> None:
        checkouts.append(1)

    event.listen(_db.engine, "before_cursor_execute", record)
    event.listen(_db.engine.pool, "checkout", checkout)
    try:
        response = _add(client, token, dish_id)
    finally:
        event.remove(_db.engine, "before_cursor_execute", record)
        event.remove(_db.engine.pool, "checkout", checkout)
    assert response.status_code == 200 and paths == ["short"]
    assert len(statements) == 3, statements  # who the session signs in, the upsert, the cart bar
    # SQLite: the thread's own connection, no checkout; PostgreSQL: one checkout (one ping).
    assert len(checkouts) == (0 if _db.engine.dialect.name == "sqlite" else 1)
    assert sessions == []  # no ORM session built, so none to close at teardown
    assert "Rp8.000" in response.get_data(as_text=True)


def test_refusals_take_the_full_path_and_say_why(client, auth, db, dishes, customer, paths):
    food.set_sold_out(dishes[1], True)
    food.add_to_cart(customer, dishes[0].id, food.MAX_QUANTITY)
    db.session.commit()
    auth.login(customer)
    token = auth.csrf_token(f"/warungs/{dishes[0].warung.slug}")

    sold_out = _add(client, token, dishes[1].id)
    assert sold_out.status_code == 422 and "sold out today" in sold_out.get_data(as_text=True)
    full = _add(client, token, dishes[0].id)
    assert full.status_code == 422 and "At most 50" in full.get_data(as_text=True)
    assert paths == ["full", "full"]
    db.session.expire_all()
    assert [(line.dish_id, line.quantity) for line in db.session.query(CartItem)] == [(dishes[0].id, food.MAX_QUANTITY)]


def test_another_browser_goes_through_flask_logins_session_protection(app, client, auth, db, dishes, customer, paths):
    """The session was signed in from another User-Agent: the short path steps aside, and
    Flask-Login's "basic" protection marks the session not fresh, as on any other page."""
    auth.login(customer)
    token = auth.csrf_token(f"/warungs/{dishes[0].warung.slug}")
    response = _add(client, token, dishes[0].id, **{"User-Agent": "Another browser"})
    assert paths == ["full"]
    assert response.status_code == 200
    assert _session(app, response)["_fresh"] is False


def test_strong_session_protection_signs_another_browser_out(app, client, auth, db, dishes, customer, paths):
    app.config["SESSION_PROTECTION"] = "strong"
    auth.login(customer)
    token = auth.csrf_token(f"/warungs/{dishes[0].warung.slug}")
    response = _add(client, token, dishes[0].id, **{"User-Agent": "Another browser"})
    assert paths == ["full"]
    assert response.status_code in (302, 401)
    assert db.session.query(CartItem).count() == 0


def test_a_session_signed_out_elsewhere_adds_nothing(client, auth, db, dishes, customer, paths):
    """Changing the password rotates the session token: an old cookie signs nobody in."""
    auth.login(customer)
    token = auth.csrf_token(f"/warungs/{dishes[0].warung.slug}")
    customer.rotate_session_token()
    db.session.commit()
    response = _add(client, token, dishes[0].id)
    assert paths == ["full"]
    assert response.status_code in (302, 401)
    assert db.session.query(CartItem).count() == 0


@pytest.mark.parametrize("quantity", ["2", ""])
def test_a_typed_quantity_is_added_by_the_short_path(client, auth, db, dishes, customer, paths, quantity):
    auth.login(customer)
    token = auth.csrf_token(f"/warungs/{dishes[0].warung.slug}")
    response = client.post(
        "/cart/items", data={"dish_id": dishes[0].id, "quantity": quantity, "csrf_token": token}, headers=HX
    )
    assert response.status_code == 200 and paths == ["short"]
    assert db.session.query(CartItem).one().quantity == int(quantity or 1)


def test_an_anonymous_add_is_asked_to_log_in(client, auth, db, dishes, paths):
    token = auth.csrf_token(f"/warungs/{dishes[0].warung.slug}")
    response = _add(client, token, dishes[0].id)
    assert paths == ["full"] and response.status_code in (302, 401)
    assert db.session.query(CartItem).count() == 0


def test_a_session_restored_from_remember_me_takes_the_full_path(client, auth, db, dishes, customer, paths):
    """Flask-Login restores it without the browser identifier; session protection then acts."""
    auth.login(customer, remember=True)
    client.delete_cookie("session")
    token = auth.csrf_token(f"/warungs/{dishes[0].warung.slug}")
    response = _add(client, token, dishes[0].id)
    assert paths == ["full"] and response.status_code == 200
    assert db.session.query(CartItem).one().quantity == 1


def test_an_error_in_the_write_rolls_back_and_frees_the_connection(
    app, client, auth, db, dishes, customer, monkeypatch
):
    auth.login(customer)
    token = auth.csrf_token(f"/warungs/{dishes[0].warung.slug}")
    app.config["PROPAGATE_TEST_ERRORS"] = False
    broken = HotStatement(lambda: select(literal_column("x")).select_from(table("no_such_table")))
    with monkeypatch.context() as patch:
        patch.setattr(food, "_ADD", broken)
        assert _add(client, token, dishes[0].id).status_code == 500
    assert _db.engine.pool.checkedout() == 0
    if _db.engine.dialect.name == "sqlite":
        assert not sqlite_connection(_db.engine).in_transaction
    # Nothing holds SQLite's write lock or a PostgreSQL transaction: the next add goes through.
    assert _add(client, token, dishes[0].id).status_code == 200
    assert db.session.query(CartItem).one().quantity == 1


def test_a_session_already_in_a_transaction_shares_its_connection(app, client, auth, db, dishes, customer, paths):
    """Were anything to have begun the ORM transaction first, the short path runs inside it."""

    @app.before_request
    def _read_first() -> None:
        _db.session.execute(select(1))

    auth.login(customer)
    token = auth.csrf_token(f"/warungs/{dishes[0].warung.slug}")
    response = _add(client, token, dishes[0].id)
    assert response.status_code == 200 and paths == ["short"]
    assert db.session.query(CartItem).one().quantity == 1


def test_with_login_disabled_the_full_path_decides(app, client, auth, db, dishes, customer, paths):
    auth.login(customer)
    token = auth.csrf_token(f"/warungs/{dishes[0].warung.slug}")
    app.config["LOGIN_DISABLED"] = True
    response = _add(client, token, dishes[0].id)
    assert paths == ["full"] and response.status_code == 200


def test_the_cart_bar_reads_one_customers_cart_not_the_whole_warungs(db):
    """Every add reads its cart bar by (user, warung). At a popular warung, an index on the
    warung alone would walk every customer's lines to find one cart."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("reads SQLite's query plan")
    compiled = food._summary_statement().compile(dialect=db.engine.dialect)
    params = compiled.construct_params({"user_id": 1, "warung_id": 1})
    args = tuple(params[name] for name in compiled.positiontup)
    plan = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + compiled.string, args).all()
    steps = " / ".join(row[-1] for row in plan)
    assert "cart_items USING INDEX ix_cart_items_user_warung (user_id=? AND warung_id=?)" in steps, steps
