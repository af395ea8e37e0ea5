"""Customers: the list and search, the menu page (its query count), and the cart."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import event

from portal.accounts.sessions import end_sessions
from portal.extensions import db as _db
from portal.food import routes
from portal.food import services as food
from portal.food.models import CartItem
from tests.conftest import AuthActions
from tests.factories import UserFactory
from tests.food.factories import DishFactory, WarungFactory


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __call__(self, conn, cursor, statement, *args) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's transaction start, not a query
            self.statements.append(statement)

    def __enter__(self):
        event.listen(_db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(_db.engine, "before_cursor_execute", self)


def test_search_finds_warungs_by_dish_name_open_ones_first(client, db):
    closed = WarungFactory(name="Warung Rujak Tutup", hours=[])
    open_ = WarungFactory(name="Warung Bu Sri")
    DishFactory(warung=open_, name="Rujak Soto Daging")
    DishFactory(warung=closed, name="Rujak Cingur")
    WarungFactory(name="Warung Bakso")
    db.session.commit()
    html = client.get("/warungs?q=rujak").get_data(as_text=True)
    assert "Warung Bakso" not in html
    assert html.index("Warung Bu Sri") < html.index("Warung Rujak Tutup")
    assert client.get("/warungs?q=zzzz").status_code == 200


def test_distance_is_shown_from_a_given_location(client, db):
    WarungFactory(name="Dekat", lat=-8.2190, lng=114.3690)
    WarungFactory(name="Jauh", lat=-8.4375, lng=114.3349)
    db.session.commit()
    html = client.get("/warungs?lat=-8.2192&lng=114.3691").get_data(as_text=True)
    assert html.index("Dekat") < html.index("Jauh")
    assert "0.0 km" in html and "24.6 km" in html


@pytest.mark.parametrize("n", [3, 60])
def test_menu_page_uses_at_most_four_queries(client, auth, db, warung, customer, n):
    for i in range(n):
        DishFactory(warung=warung, category=["Nasi", "Minuman", "Lauk"][i % 3])
    db.session.commit()
    url = f"/warungs/{warung.slug}"
    client.get(url)  # warm up (templates compiled)
    with QueryCounter() as anonymous:
        assert client.get(url).status_code == 200
    assert anonymous.count <= 4
    auth.login(customer)
    food.add_to_cart(customer, warung.dishes[0].id, 2)
    db.session.commit()
    with QueryCounter() as signed_in:
        html = client.get(url).get_data(as_text=True)
    assert signed_in.count <= 4, "\n".join(s[:90] for s in signed_in.statements)
    assert "2 in cart" in html
    routes.MENU_PAGES.clear()  # a process that has not rendered this menu yet
    with QueryCounter() as cold:
        html = client.get(url).get_data(as_text=True)
    assert cold.count <= 4, cold.count
    assert "2 in cart" in html


def test_add_change_remove_with_htmx_fragments(client, auth, db, dishes, customer):
    auth.login(customer)
    token = auth.csrf_token(f"/warungs/{dishes[0].warung.slug}")
    hx = {"HX-Request": "true"}
    response = client.post(
        "/cart/items", data={"dish_id": dishes[0].id, "quantity": 1, "csrf_token": token}, headers=hx
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert len(response.data) <= 2048
    assert "1 in cart" in body and 'hx-swap-oob="true"' in body and "Rp25.000" in body
    client.post("/cart/items", data={"dish_id": dishes[0].id, "quantity": 1, "csrf_token": token}, headers=hx)
    assert db.session.query(CartItem).one().quantity == 2
    response = client.post(f"/cart/items/{dishes[0].id}", data={"quantity": 5, "csrf_token": token}, headers=hx)
    assert response.status_code == 200 and 'id="carts"' in response.get_data(as_text=True)
    assert db.session.query(CartItem).one().quantity == 5
    # A refused change says why in the redrawn cart, at once, and leaves nothing for later.
    for data, message in (
        ({"quantity": "-1"}, "Choose between 0 and 50."),
        ({"quantity": "5"}, "That dish is not in your cart."),
    ):
        dish_id = dishes[0].id if data["quantity"] == "-1" else dishes[2].id
        response = client.post(f"/cart/items/{dish_id}", data={**data, "csrf_token": token}, headers=hx)
        body = response.get_data(as_text=True)
        assert response.status_code == 422 and 'id="carts"' in body and 'role="alert"' in body
        assert message in body
    assert db.session.query(CartItem).one().quantity == 5
    assert 'class="flash flash-error"' not in client.get("/cart").get_data(as_text=True)
    response = client.post(f"/cart/items/{dishes[0].id}", data={"remove": "1", "quantity": "5", "csrf_token": token})
    assert response.status_code == 302
    assert db.session.query(CartItem).count() == 0


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_add_to_cart_without_a_valid_csrf_token_changes_nothing(client, auth, db, dishes, customer, token):
    """The add-to-cart form leaves the token to CSRFProtect, which checks it before the view."""
    auth.login(customer)
    data = {"dish_id": dishes[0].id, "quantity": 1} | ({"csrf_token": token} if token else {})
    response = client.post("/cart/items", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert db.session.query(CartItem).count() == 0


@pytest.mark.parametrize("quantity", ["0", "-1", "1000000000", "dua"])
def test_bad_quantities_are_refused_with_a_message(client, auth, db, dishes, customer, quantity):
    auth.login(customer)
    response = auth.post(
        "/cart/items",
        {"dish_id": dishes[0].id, "quantity": quantity},
        page=f"/warungs/{dishes[0].warung.slug}",
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "Choose between 1 and 50" in response.get_data(as_text=True) or "Enter a quantity" in response.get_data(
        as_text=True
    )
    assert db.session.query(CartItem).count() == 0


def test_quantity_cap_counts_what_is_already_in_the_cart(db, dishes, customer):
    food.add_to_cart(customer, dishes[0].id, 50)
    with pytest.raises(food.FoodError, match="Paling banyak 50"):
        food.add_to_cart(customer, dishes[0].id, 1)


def test_sold_out_and_unknown_dishes_cannot_be_added(client, auth, db, dishes, customer):
    food.set_sold_out(dishes[1], True)
    db.session.commit()
    auth.login(customer)
    response = auth.post("/cart/items", {"dish_id": dishes[1].id, "quantity": 1}, page="/")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "sold out today" in page
    response = auth.post("/cart/items", {"dish_id": 999999, "quantity": 1}, page="/")
    assert "not on any menu" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.query(CartItem).count() == 0


def test_cart_is_per_warung(client, auth, db, dishes, customer):
    other = DishFactory(name="Bakso Urat")
    db.session.commit()
    food.add_to_cart(customer, dishes[0].id, 1)
    food.add_to_cart(customer, other.id, 1)
    db.session.commit()
    auth.login(customer)
    html = client.get("/cart").get_data(as_text=True)
    assert html.count('class="cart"') == 2
    assert html.count('name="warung_id"') == 2
    # Two checkout forms, one name each, but no id twice: a tap on one form's label ("Cash to
    # the courier", "Note for the driver") must not fill in the other form.
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    labelled = set(re.findall(r'<label for="([^"]+)"', html))
    assert labelled <= set(ids), f"labels for nothing: {sorted(labelled - set(ids))}"
    assert html.count('name="address"') == html.count('name="note"') == 2


def test_anonymous_sees_menu_and_is_asked_to_log_in(client, dishes):
    html = client.get(f"/warungs/{dishes[0].warung.slug}").get_data(as_text=True)
    assert "Rujak Soto" in html and "/login" in html
    assert client.post("/cart/items", data={"dish_id": dishes[0].id}).status_code in (302, 400)


def test_simultaneous_taps_each_count_and_the_cap_holds(app, db, dishes, customer):
    """Six tabs tap "+ Add" ten times each at once: every tap counts until the cap of 50,
    then the rest are refused with a message; nothing is lost or counted twice."""

    url, dish_id = f"/warungs/{dishes[0].warung.slug}", dishes[0].id
    clients = []
    for _ in range(6):  # the login rate limit allows 10 a minute
        tab = app.test_client()
        AuthActions(tab).login(customer)
        clients.append((tab, AuthActions(tab).csrf_token(url)))
    start = threading.Barrier(len(clients))

    def tap(tab_and_token) -> list[int]:
        tab, token = tab_and_token
        start.wait(timeout=30)
        with app.app_context():
            return [
                tab.post(
                    "/cart/items",
                    data={"dish_id": dish_id, "csrf_token": token},
                    headers={"HX-Request": "true"},
                ).status_code
                for _ in range(10)
            ]

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        statuses = [status for taps in pool.map(tap, clients) for status in taps]
    assert statuses.count(200) == 50 and statuses.count(422) == 10, statuses
    db.session.rollback()
    assert db.session.query(CartItem).one().quantity == 50


# ---- One add-to-cart, as every browser and session reaches it

HX = {"HX-Request": "true"}


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
def test_the_added_fragment_speaks_the_users_language_or_else_the_browsers(
    client, auth, db, dishes, locale, cookie, expected
):
    customer = UserFactory(locale=locale)
    db.session.commit()
    if cookie:
        client.set_cookie("lang", cookie)
    auth.login(customer)
    token = auth.csrf_token(f"/warungs/{dishes[0].warung.slug}")
    response = _add(client, token, dishes[0].id)
    assert response.status_code == 200 and expected in response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]
    assert response.headers.getlist("Set-Cookie") == []
    assert db.session.query(CartItem).one().quantity == 1


def test_refused_adds_say_why_and_change_nothing(client, auth, db, dishes, customer):
    food.set_sold_out(dishes[1], True)
    food.add_to_cart(customer, dishes[0].id, food.MAX_QUANTITY)
    db.session.commit()
    auth.login(customer)
    token = auth.csrf_token(f"/warungs/{dishes[0].warung.slug}")
    sold_out = _add(client, token, dishes[1].id)
    assert sold_out.status_code == 422 and "sold out today" in sold_out.get_data(as_text=True)
    full = _add(client, token, dishes[0].id)
    assert full.status_code == 422 and "At most 50" in full.get_data(as_text=True)
    assert f"{food.MAX_QUANTITY} in cart" in full.get_data(as_text=True)  # what the cart holds now
    db.session.expire_all()
    assert [(line.dish_id, line.quantity) for line in db.session.query(CartItem)] == [(dishes[0].id, food.MAX_QUANTITY)]


def test_another_browser_goes_through_flask_logins_session_protection(app, client, auth, db, dishes, customer):
    """The session was signed in from another User-Agent: Flask-Login's "basic" protection marks
    the session not fresh, as on any other page."""
    auth.login(customer)
    token = auth.csrf_token(f"/warungs/{dishes[0].warung.slug}")
    response = _add(client, token, dishes[0].id, **{"User-Agent": "Another browser"})
    assert response.status_code == 200
    assert _session(app, response)["_fresh"] is False


def test_strong_session_protection_signs_another_browser_out(app, client, auth, db, dishes, customer):
    app.config["SESSION_PROTECTION"] = "strong"
    auth.login(customer)
    token = auth.csrf_token(f"/warungs/{dishes[0].warung.slug}")
    response = _add(client, token, dishes[0].id, **{"User-Agent": "Another browser"})
    assert response.status_code in (302, 401)
    assert db.session.query(CartItem).count() == 0


def test_a_session_signed_out_elsewhere_adds_nothing(client, auth, db, dishes, customer):
    """Signed out on another device (or by a password change): an old cookie signs nobody in."""
    auth.login(customer)
    token = auth.csrf_token(f"/warungs/{dishes[0].warung.slug}")
    end_sessions(customer)
    db.session.commit()
    response = _add(client, token, dishes[0].id)
    assert response.status_code in (302, 401)
    assert db.session.query(CartItem).count() == 0


@pytest.mark.parametrize("quantity", ["2", ""])
def test_a_typed_quantity_is_added(client, auth, db, dishes, customer, quantity):
    auth.login(customer)
    token = auth.csrf_token(f"/warungs/{dishes[0].warung.slug}")
    response = client.post(
        "/cart/items", data={"dish_id": dishes[0].id, "quantity": quantity, "csrf_token": token}, headers=HX
    )
    assert response.status_code == 200
    assert db.session.query(CartItem).one().quantity == int(quantity or 1)


def test_an_anonymous_add_is_asked_to_log_in(client, auth, db, dishes):
    token = auth.csrf_token(f"/warungs/{dishes[0].warung.slug}")
    response = _add(client, token, dishes[0].id)
    assert response.status_code in (302, 401)
    assert db.session.query(CartItem).count() == 0


def test_a_session_restored_from_remember_me_adds(client, auth, db, dishes, customer):
    auth.login(customer, remember=True)
    client.delete_cookie("session")
    token = auth.csrf_token(f"/warungs/{dishes[0].warung.slug}")
    response = _add(client, token, dishes[0].id)
    assert response.status_code == 200
    assert db.session.query(CartItem).one().quantity == 1


def test_with_login_disabled_the_signed_in_user_still_adds(app, client, auth, db, dishes, customer):
    auth.login(customer)
    token = auth.csrf_token(f"/warungs/{dishes[0].warung.slug}")
    app.config["LOGIN_DISABLED"] = True
    assert _add(client, token, dishes[0].id).status_code == 200


@pytest.mark.parametrize("lines", [1, 30])
def test_an_add_costs_the_same_queries_whatever_the_cart_and_menu_hold(client, auth, db, warung, customer, lines):
    """The user, the upsert, the cart bar (one aggregate): flat in the dishes and cart lines."""
    dishes = [DishFactory(warung=warung, price=10000) for _ in range(lines + 1)]
    db.session.commit()
    for dish in dishes[1:]:
        food.add_to_cart(customer, dish.id, 2)
    db.session.commit()
    auth.login(customer)
    token, dish_id = auth.csrf_token(f"/warungs/{warung.slug}"), dishes[0].id
    with QueryCounter() as adding:
        response = _add(client, token, dish_id)
    assert response.status_code == 200
    assert f"Cart: {2 * lines + 1} items" in response.get_data(as_text=True)
    assert adding.count == 3, "\n".join(s[:60] for s in adding.statements)


def test_the_cart_bar_reads_one_customers_cart_not_the_whole_warungs(db):
    """Every add reads its cart bar by (user, warung). At a popular warung, an index on the
    warung alone would walk every customer's lines to find one cart."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("reads SQLite's query plan")
    compiled = food.cart_summary_query(1, 1).compile(dialect=db.engine.dialect)
    args = tuple(compiled.params[name] for name in compiled.positiontup)
    plan = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + compiled.string, args).all()
    steps = " / ".join(row[-1] for row in plan)
    assert "cart_items USING INDEX ix_cart_items_user_warung (user_id=? AND warung_id=?)" in steps, steps


def test_each_homestay_shortcut_fills_the_address_it_names(client, auth, db, customer, dishes):
    food.add_to_cart(customer, dishes[0].id, 1)
    db.session.commit()
    auth.login(customer)
    page = client.get("/cart").get_data(as_text=True)
    shortcuts = re.findall(r'<a href="/cart\?place=(\d+)">([^<]+)</a>', page)
    assert len(shortcuts) >= 3
    for index, name in shortcuts:
        filled = client.get(f"/cart?place={index}").get_data(as_text=True)
        address = re.search(r'<textarea[^>]*name="[^"]*address"[^>]*>\s*([^<]*)</textarea>', filled) or re.search(
            r'name="[^"]*address"[^>]*value="([^"]*)"', filled
        )
        assert address and address.group(1).strip().startswith(name), (name, address and address.group(1))


def test_add_without_javascript_returns_to_the_dish_and_a_refusal_to_the_message(client, auth, db, dishes, customer):
    auth.login(customer)
    warung = dishes[0].warung
    response = auth.post("/cart/items", {"dish_id": dishes[1].id}, page=f"/warungs/{warung.slug}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/warungs/{warung.slug}#dish-{dishes[1].id}")
    html = client.get(f"/warungs/{warung.slug}").get_data(as_text=True)
    assert f'id="dish-{dishes[1].id}"' in html and f'<span id="cart-{dishes[1].id}" class="in-cart">1 in cart' in html
    food.set_sold_out(dishes[2], True)
    db.session.commit()
    refused = auth.post("/cart/items", {"dish_id": dishes[2].id}, page=f"/warungs/{warung.slug}")
    assert refused.headers["Location"].endswith(f"/warungs/{warung.slug}")  # the top, where it says why
