"""The warung list is rendered once a minute and shared (portal.pagecache), keyed on stamps read
fresh on every visit: a kept page costs one query, and any change shows on the very next visit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.database import utcnow
from portal.food import routes
from portal.food import services as food
from portal.promotions import services as promo
from tests.conftest import AuthActions
from tests.factories import UserFactory
from tests.food.factories import DishFactory, WarungFactory
from tests.food.test_menu_and_cart import QueryCounter
from tests.food.test_rating_after_delivery import deliver, picked_up  # noqa: F401 - a fixture
from tests.promotions.factories import EntryFactory, FestivalFactory


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")


@pytest.fixture(autouse=True)
def cold_cache():
    routes.WARUNG_PAGES.clear()
    yield
    routes.WARUNG_PAGES.clear()


def test_a_kept_list_is_one_query_and_the_same_page(client, db):
    WarungFactory(name="Warung Bu Sri")
    db.session.commit()
    first = client.get("/warungs").get_data(as_text=True)
    with QueryCounter() as kept:
        again = client.get("/warungs")
    assert again.status_code == 200 and again.get_data(as_text=True) == first
    assert kept.count == 1, kept.statements  # the stamps; no search, no showcase, no render
    assert "Warung Bu Sri" in first


def test_each_visitor_keeps_their_own_cart_count_and_token(app, db, dishes, customer):
    other = UserFactory(locale="en")
    customer.locale = "en"
    db.session.commit()
    food.add_to_cart(customer, dishes[0].id, 2)
    food.add_to_cart(other, dishes[1].id, 3)
    db.session.commit()
    pages = {}
    for user in (customer, other):
        client = app.test_client()
        AuthActions(client).login(user)
        client.get("/")  # uses up the "welcome" message: a page with one is never shared
        pages[user.id] = client.get("/warungs").get_data(as_text=True)
    assert len(routes.WARUNG_PAGES._pages) == 1  # one render, shared by both
    assert "(2 items)" in pages[customer.id] and "(3 items)" in pages[other.id]
    assert "(3 items)" not in pages[customer.id] and "(2 items)" not in pages[other.id]


@pytest.mark.parametrize("language", ["id", "en"])
def test_each_language_has_its_own_page(client, db, language):
    WarungFactory(name="Warung Bu Sri")
    db.session.commit()
    client.set_cookie("lang", "en" if language == "id" else "id")
    client.get("/warungs")
    client.set_cookie("lang", language)
    html = client.get("/warungs").get_data(as_text=True)
    assert len(routes.WARUNG_PAGES._pages) == 2
    assert ("Warung food" in html) == (language == "en")
    assert ("Makanan warung" in html) == (language == "id")


def test_an_owner_closing_for_today_shows_on_the_next_visit(client, db, warung):
    assert "is-closed" not in client.get("/warungs").get_data(as_text=True)
    food.set_closed_today(warung, True)
    db.session.commit()
    assert "is-closed" in client.get("/warungs").get_data(as_text=True)


def test_a_renamed_dish_is_found_by_the_next_search(client, db, warung):
    dish = DishFactory(warung=warung, name="Rujak Soto")
    db.session.commit()
    assert "No warung or dish matches" in client.get("/warungs?q=pecel").get_data(as_text=True)
    dish.name = "Pecel Rawon"
    db.session.commit()
    assert warung.name in client.get("/warungs?q=pecel").get_data(as_text=True)


def test_a_new_warung_and_a_closed_one_show_on_the_next_visit(client, db, warung):
    admin = UserFactory()
    db.session.commit()
    assert warung.name in client.get("/warungs").get_data(as_text=True)
    newcomer = WarungFactory(name="Warung Baru Buka")
    food.close_warung(warung, by=admin, reason="Tutup permanen")
    db.session.commit()
    html = client.get("/warungs").get_data(as_text=True)
    assert "Warung Baru Buka" in html and warung.name not in html
    assert newcomer.name in html


def test_a_new_rating_shows_on_the_next_visit(client, db, customer, warung, picked_up):  # noqa: F811
    order, delivery, driver = picked_up
    deliver(db, order, delivery, driver)
    assert "No ratings yet" in client.get("/warungs").get_data(as_text=True)
    food.rate_order(order, by=customer, warung_stars=4, courier_stars=5)
    db.session.commit()
    html = client.get("/warungs").get_data(as_text=True)
    assert "4.0 stars" in html and "(1 rating)" in html


def test_an_approved_festival_entry_brings_its_badge_on_the_next_visit(client, db, warung):
    now = utcnow()
    festival = FestivalFactory(starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1))
    entry = EntryFactory(festival=festival, warung=warung, status="applied")
    promoter = UserFactory()
    db.session.commit()
    assert "festival-badge" not in client.get("/warungs").get_data(as_text=True)
    promo.approve_entry(entry, by=promoter)
    db.session.commit()
    assert "festival-badge" in client.get("/warungs").get_data(as_text=True)
