"""Both languages on what a warung writes and what an order keeps: the menu's categories and
descriptions, the warung's own description, and order lines, each read in the page's (or the
message's recipient's) language, the other language when one is missing."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from portal import notify
from portal.extensions import db as _db
from portal.food import routes
from portal.food import services as food
from portal.food.models import Dish, FoodOrderItem, Warung
from portal.payments.services import payment_for, receipt_url
from tests.conftest import _fresh_postgres, make_app
from tests.food.factories import DishFactory, WarungFactory
from tests.food.test_menu_and_cart import QueryCounter
from tests.food.test_orders import place


@pytest.fixture(autouse=True)
def cold_cache():
    routes.MENU_PAGES.clear()
    yield
    routes.MENU_PAGES.clear()


@pytest.fixture
def bilingual(db):
    """A warung that wrote everything in both languages."""
    warung = WarungFactory(
        name="Warung Bu Sri",
        description="Sego tempong dengan sambal yang nampol.",
        description_en="Sego tempong with sambal that slaps.",
        owner__locale="id",
    )
    dishes = [
        DishFactory(
            warung=warung,
            name="Sego Tempong",
            name_en="Rice with raw sambal",
            category="Nasi",
            category_en="Rice",
            description="Nasi, sayur rebus, tempe.",
            description_en="Rice, boiled greens, tempeh.",
            price=22000,
        ),
        DishFactory(
            warung=warung,
            name="Es Teh Manis",
            name_en="Sweet iced tea",
            category="Minuman",
            category_en="Drinks",
            description="Teh tubruk, gula batu.",
            description_en="Strong tea, rock sugar.",
            price=5000,
        ),
    ]
    db.session.commit()
    return warung, dishes


def page(client, url: str, lang: str) -> str:
    client.set_cookie("lang", lang)
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_menu_speaks_the_pages_language_and_each_language_has_its_own_render(client, bilingual):
    warung, _dishes = bilingual
    url = f"/warungs/{warung.slug}"
    for _round in range(2):  # the second round comes from the shared renders
        english = page(client, url, "en")
        assert "<h3>Rice</h3>" in english and "<h3>Drinks</h3>" in english
        assert "Rice, boiled greens, tempeh." in english and "Sego tempong with sambal that slaps." in english
        assert "<h3>Nasi</h3>" not in english and "Nasi, sayur rebus" not in english
        assert "sambal yang nampol" not in english
        indonesian = page(client, url, "id")
        assert "<h3>Nasi</h3>" in indonesian and "<h3>Minuman</h3>" in indonesian
        assert "Nasi, sayur rebus, tempe." in indonesian and "Sego tempong dengan sambal yang nampol." in indonesian
        assert "<h3>Rice</h3>" not in indonesian and "Sweet iced tea" not in indonesian
        assert "sambal that slaps" not in indonesian
    assert len(routes.MENU_PAGES._pages) == 2


def test_what_is_written_in_one_language_only_is_shown_in_both(client, db):
    warung = WarungFactory(description="", description_en="Osing coffee and fried snacks.")
    DishFactory(warung=warung, name="Kopi Using", category="Minuman", category_en="", description="Kopi Kemiren.")
    # A second dish of the same category carries its English: the whole section uses it.
    DishFactory(warung=warung, name="Es Teh", category="Minuman", category_en="Drinks")
    DishFactory(warung=warung, name="Pisang Goreng", category="", category_en="Snacks", description_en="Fried banana.")
    DishFactory(warung=warung, name="Tahu Isi", category="Lauk")
    db.session.commit()
    url = f"/warungs/{warung.slug}"
    indonesian = page(client, url, "id")
    assert "Osing coffee and fried snacks." in indonesian  # better than no description
    assert "<h3>Minuman</h3>" in indonesian and "<h3>Snacks</h3>" in indonesian and "Fried banana." in indonesian
    english = page(client, url, "en")
    assert english.count("<h3>Drinks</h3>") == 1 and "<h3>Minuman</h3>" not in english
    assert "Kopi Kemiren." in english and "<h3>Lauk</h3>" in english  # nothing in English: the Indonesian


def test_warung_cards_describe_the_warung_in_the_pages_language(client, bilingual):
    english = page(client, "/warungs", "en")
    assert "Sego tempong with sambal that slaps." in english and "sambal yang nampol" not in english
    indonesian = page(client, "/warungs", "id")
    assert "Sego tempong dengan sambal yang nampol." in indonesian and "that slaps" not in indonesian


def test_menu_queries_stay_flat_with_categories_in_two_languages(client, db, warung):
    for i in range(40):
        DishFactory(warung=warung, category=["Nasi", "Minuman"][i % 2], category_en=["Rice", "Drinks"][i % 2])
    db.session.commit()
    url = f"/warungs/{warung.slug}"
    client.set_cookie("lang", "en")
    with QueryCounter() as cold:
        html = client.get(url).get_data(as_text=True)
    assert cold.count <= 4, cold.count
    assert "<h3>Rice</h3>" in html


# ---------------------------------------------------------------------------------------------
# Order lines


@pytest.fixture
def ordered(db, customer, bilingual):
    """The English-reading customer's cash order of both dishes; the owner reads Indonesian."""
    warung, (rice, tea) = bilingual
    food.add_to_cart(customer, rice.id, 2)
    food.add_to_cart(customer, tea.id, 1)
    db.session.commit()
    return place(customer, warung)


def test_an_order_keeps_both_names_and_each_reader_sees_their_language(client, auth, db, customer, ordered):
    order = ordered
    assert [(i.name, i.name_en) for i in order.items] == [
        ("Sego Tempong", "Rice with raw sambal"),
        ("Es Teh Manis", "Sweet iced tea"),
    ]
    rice = db.session.get(Dish, order.items[0].dish_id)
    rice.name, rice.name_en = "Sego Tempong Baru", "New name"  # the menu changes; the order does not
    db.session.commit()
    auth.login(customer)
    mine = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "2 × Rice with raw sambal" in mine and "1 × Sweet iced tea" in mine
    assert "Es Teh Manis" not in mine and "New name" not in mine
    receipt = client.get(receipt_url(payment_for(food.PAYABLE, order.id))).get_data(as_text=True)
    assert "2 × Rice with raw sambal" in receipt and "1 × Sweet iced tea" in receipt and "Rp44.000" in receipt
    auth.logout()
    auth.login(order.warung.owner)  # reads Indonesian
    board = client.get("/my/warung/orders").get_data(as_text=True)
    assert "2 × Sego Tempong" in board and "1 × Es Teh Manis" in board and "Sweet iced tea" not in board
    assert "2 × Sego Tempong" in client.get(f"/orders/{order.id}").get_data(as_text=True)


def test_the_warungs_new_order_message_lists_the_lines_in_the_owners_language(db, customer, bilingual, ordered):
    indonesian = [m.text for m in notify.outbox if m.user_id == ordered.warung.owner_id]
    assert any("2 × Sego Tempong, 1 × Es Teh Manis" in text for text in indonesian), indonesian
    warung, (rice, _tea) = bilingual
    warung.owner.locale = "en"
    food.add_to_cart(customer, rice.id, 3)
    db.session.commit()
    again = place(customer, warung, key="k2")
    english = [m.text for m in notify.outbox if m.user_id == warung.owner_id and f"order {again.id}:" in m.text]
    assert english and "3 × Rice with raw sambal" in english[0] and "Sego" not in english[0]


def test_order_again_names_a_missing_dish_in_the_pages_language(client, auth, db, customer, ordered):
    _db.session.delete(db.session.get(Dish, ordered.items[1].dish_id))
    db.session.commit()
    auth.login(customer)
    response = auth.post(f"/orders/{ordered.id}/again", page=f"/orders/{ordered.id}")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sweet iced tea could not be added" in html


def test_a_dish_without_english_is_ordered_and_shown_by_its_indonesian_name(client, auth, db, customer, warung):
    dish = DishFactory(warung=warung, name="Botok Tawon", name_en="")
    db.session.commit()
    food.add_to_cart(customer, dish.id, 1)
    db.session.commit()
    order = place(customer, warung)
    auth.login(customer)
    assert "1 × Botok Tawon" in client.get(f"/orders/{order.id}").get_data(as_text=True)


# ---------------------------------------------------------------------------------------------
# The owner writes both


def test_the_owner_writes_the_description_and_a_category_in_both_languages(client, auth, db, warung):
    owner = warung.owner
    auth.login(owner)
    form = {
        "name": warung.name,
        "description": "Pedasnya nampol.",
        "description_en": "Properly spicy.",
        "address": warung.address,
        "latitude": str(warung.lat),
        "longitude": str(warung.lng),
        "phone": "0812 3456 7890",
        "hours_0": "07:00-14:00",
    }
    assert auth.post("/my/warung", form, page="/my/warung").status_code == 302
    dish_form = {"name": "Es Dawet", "price": "7000", "category": "Minuman", "category_en": "Drinks"}
    assert auth.post("/my/warung/dishes", dish_form, page="/my/warung/dishes").status_code == 302
    db.session.expire_all()
    saved = db.session.get(Warung, warung.id)
    assert (saved.description, saved.description_en) == ("Pedasnya nampol.", "Properly spicy.")
    dish = db.session.query(Dish).filter_by(name="Es Dawet").one()
    assert (dish.category, dish.category_en) == ("Minuman", "Drinks")
    assert "Properly spicy.</textarea>" in client.get("/my/warung").get_data(as_text=True)
    assert 'value="Drinks"' in client.get(f"/my/warung/dishes/{dish.id}").get_data(as_text=True)
    auth.logout()
    english = page(client, f"/warungs/{warung.slug}", "en")
    assert "Properly spicy." in english and "<h3>Drinks</h3>" in english
    assert "Pedasnya nampol." in page(client, f"/warungs/{warung.slug}", "id")


def test_the_second_language_is_optional(client, auth, db, warung):
    auth.login(warung.owner)
    dish_form = {"name": "Es Dawet", "price": "7000", "category": "Minuman"}
    assert auth.post("/my/warung/dishes", dish_form, page="/my/warung/dishes").status_code == 302
    assert db.session.query(Dish).filter_by(name="Es Dawet").one().category_en == ""


# ---------------------------------------------------------------------------------------------
# The migration


def test_the_migration_gives_existing_lines_the_english_of_their_dish_where_it_still_exists(tmp_path):
    base = os.environ.get("TEST_DATABASE_URL")
    if base and not base.startswith("sqlite"):
        url, admin_url, name = _fresh_postgres(base, "migration1300")
    else:
        url, admin_url, name = f"sqlite:///{tmp_path / 'old.db'}", None, None
    app = make_app(url)
    try:
        with app.app_context():
            upgrade(revision="1200")
            now = "2026-12-01 00:00:00"
            for statement in (
                "INSERT INTO users (id, name, email, phone, password_hash, created_at) "
                "VALUES (1, 'Sri', 'sri@example.com', '+628123456789', 'x', :now)",
                "INSERT INTO warungs (id, owner_id, slug, name, description, address, lat, lng, phone, status, "
                "reject_reason, created_at, updated_at) VALUES (1, 1, 'bu-sri', 'Bu Sri', 'Enak.', 'Jl. 1', -8.2, "
                "114.3, '+628123456789', 'verified', '', :now, :now)",
                "INSERT INTO dishes (id, warung_id, name, name_en, description, description_en, price, category, "
                "position, created_at, updated_at) VALUES "
                "(1, 1, 'Es Teh', 'Iced tea', '', '', 5000, 'Minuman', 1, :now, :now), "
                "(2, 1, 'Botok Tawon', '', '', '', 10000, 'Lauk', 2, :now, :now)",
                "INSERT INTO food_orders (id, idempotency_key, customer_id, warung_id, status, address, lat, lng, "
                "note, payment_method, subtotal, delivery_fee, total, courier_provider, reason, rating_comment, "
                "created_at, updated_at) VALUES (1, 'k', 1, 1, 'delivered', 'Jl. 2', -8.2, 114.3, '', 'cash', "
                "30000, 5000, 35000, 'local', '', '', :now, :now)",
                "INSERT INTO food_order_items (order_id, dish_id, name, price, quantity) VALUES "
                "(1, 1, 'Es Teh', 5000, 1), (1, 2, 'Botok Tawon', 10000, 1), (1, NULL, 'Kopi Using', 15000, 1)",
            ):
                _db.session.execute(sa.text(statement), {"now": now})
            _db.session.commit()
            upgrade(revision="heads")
            rows = _db.session.execute(sa.text("SELECT name, name_en FROM food_order_items ORDER BY id")).all()
            assert [tuple(r) for r in rows] == [("Es Teh", "Iced tea"), ("Botok Tawon", ""), ("Kopi Using", "")]
            lines = _db.session.query(FoodOrderItem).order_by(FoodOrderItem.id)
            assert [line.display_name("en") for line in lines] == [
                "Iced tea",
                "Botok Tawon",
                "Kopi Using",
            ]
            assert _db.session.execute(sa.text("SELECT description_en, description FROM warungs")).one() == (
                "",
                "Enak.",
            )
            _db.session.remove()
            _db.engine.dispose()
    finally:
        if admin_url:
            engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            engine.dispose()


def test_an_english_speaking_owner_sees_lines_in_english_on_the_board(client, auth, db, ordered):
    owner = ordered.warung.owner
    owner.locale = "en"
    db.session.commit()
    auth.login(owner)
    board = client.get("/my/warung/orders").get_data(as_text=True)
    assert "2 × Rice with raw sambal" in board and "Sego Tempong" not in board


def test_search_finds_a_warung_by_its_english_description(client, bilingual):
    warung, _dishes = bilingual
    assert warung.name in page(client, "/warungs?q=slaps", "en")
