"""The app shell on the food pages: the Cart tab's count everywhere (the shared menu too), the
home page's "on its way" banner, warung cards, and "Order again"."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from portal.couriers.fare import fare_for
from portal.extensions import db as _db
from portal.food import routes
from portal.food import services as food
from portal.food.models import OrderStatus
from portal.formatting import WIB
from portal.workflow import move
from tests.conftest import AuthActions
from tests.factories import UserFactory
from tests.food.factories import DishFactory, WarungFactory
from tests.food.test_orders import HOMESTAY, place

HX = {"HX-Request": "true"}


def cart_badge(html: str) -> str | None:
    match = re.search(r'<span id="count-cart" class="count"[^>]*><span aria-hidden="true">([^<]+)<', html)
    return match and match.group(1)


@pytest.fixture(autouse=True)
def cold_cache():
    routes.MENU_PAGES.clear()
    yield
    routes.MENU_PAGES.clear()


def test_the_cart_tab_counts_every_cart_on_every_page(client, auth, db, dishes, customer):
    other_warung = DishFactory()
    food.add_to_cart(customer, dishes[0].id, 2)
    food.add_to_cart(customer, other_warung.id, 1)
    db.session.commit()
    auth.login(customer)
    for path in ("/", "/warungs", "/rides", "/my/activity", f"/warungs/{dishes[0].warung.slug}"):
        html = client.get(path).get_data(as_text=True)
        assert cart_badge(html) == "3", path
        assert "(3 items)" in html  # what a screen reader hears after "Cart"
    assert cart_badge(client.get("/cart").get_data(as_text=True)) == "3"


def test_a_shared_menu_shows_each_visitor_their_own_cart_count(app, db, dishes, customer):
    other = UserFactory(locale="en")
    db.session.commit()
    food.add_to_cart(customer, dishes[0].id, 2)
    db.session.commit()
    url = f"/warungs/{dishes[0].warung.slug}"
    pages = []
    for user in (customer, other):
        client = app.test_client()
        AuthActions(client).login(user)
        client.get("/")
        pages.append(client.get(url).get_data(as_text=True))
    assert len(routes.MENU_PAGES._pages) == 1  # one render, shared
    assert cart_badge(pages[0]) == "2" and cart_badge(pages[1]) is None
    assert "__SHELL_" not in pages[0] + pages[1]
    assert '<span id="count-cart" class="count" hidden></span>' in pages[1]


def test_adding_on_the_menu_updates_the_cart_tab_without_a_reload(client, auth, db, dishes, customer):
    auth.login(customer)
    token = auth.csrf_token(f"/warungs/{dishes[0].warung.slug}")
    response = client.post("/cart/items", data={"dish_id": dishes[0].id, "csrf_token": token}, headers=HX)
    html = response.get_data(as_text=True)
    assert 'id="count-cart" class="count" hx-swap-oob="true"' in html and cart_badge(html) == "1"


def test_the_home_page_shows_what_is_on_its_way_and_not_what_arrived(client, auth, db, customer, warung, dishes):
    food.add_to_cart(customer, dishes[0].id, 1)
    db.session.commit()
    order = place(customer, warung)
    auth.login(customer)
    html = client.get("/").get_data(as_text=True)
    assert 'class="banner"' in html and f'href="/orders/{order.id}"' in html
    assert 'class="badge tone-waiting" data-status="placed"' in html
    move(order, OrderStatus.ACCEPTED)
    db.session.commit()
    assert 'data-status="accepted"' in client.get("/").get_data(as_text=True)
    for status in (OrderStatus.READY, OrderStatus.PICKED_UP, OrderStatus.DELIVERED):
        move(order, status)
    db.session.commit()
    assert 'class="banner"' not in client.get("/").get_data(as_text=True)
    auth.logout()
    assert 'class="banner"' not in client.get("/").get_data(as_text=True)


def test_a_closed_warung_says_when_it_opens():
    warung = WarungFactory.build(hours=[(0, 10 * 60, 22 * 60), (2, 9 * 60, 14 * 60)])
    monday_morning = datetime(2026, 12, 7, 8, 0, tzinfo=WIB)
    assert food.next_opening(warung, monday_morning).at == datetime(2026, 12, 7, 10, 0, tzinfo=WIB)
    after_closing = datetime(2026, 12, 7, 22, 30, tzinfo=WIB)
    opening = food.next_opening(warung, after_closing)
    assert (opening.days, opening.at) == (2, datetime(2026, 12, 9, 9, 0, tzinfo=WIB))
    warung.closed_on = monday_morning.date()  # "closed today"
    assert food.next_opening(warung, monday_morning).at.date() == datetime(2026, 12, 9).date()
    assert food.next_opening(WarungFactory.build(hours=[]), monday_morning) is None


def test_cards_say_rating_fee_time_and_distance(client, db, customer):
    near = WarungFactory(name="Warung Dekat")
    WarungFactory(name="Warung Tutup", hours=[(d, 23 * 60 + 58, 23 * 60 + 59) for d in range(7)])
    db.session.commit()
    for stars in (5, 4):
        order = place_rated(customer, near, stars)
        assert order.rating_warung == stars
    client.set_cookie("lang", "en")
    html = client.get("/warungs").get_data(as_text=True)
    card = html[html.index("Warung Dekat") :]
    assert "4.5 stars" in card[:1500] and "(2 ratings)" in card[:1500]
    assert f"Delivery from {rupiah_text(fare_for(0))}" in card[:1500]
    # A second rating of the same order (a double tap) is refused and changes no card.
    with pytest.raises(food.FoodError):
        food.rate_order(order, by=customer, warung_stars=1, courier_stars=None)
    db.session.rollback()
    assert "4.5 stars" in client.get("/warungs").get_data(as_text=True)
    closed_card = html[html.index("Warung Tutup") :][:1500]
    assert "Closed" in closed_card and re.search(r"Opens (at|tomorrow at) 23:58 WIB", closed_card)
    located = client.get(f"/warungs?lat={HOMESTAY['lat']}&lng={HOMESTAY['lng']}").get_data(as_text=True)
    card = located[located.index("Warung Dekat") :][:1500]
    assert re.search(r"Delivery Rp[\d.]+", card) and re.search(r"\d+–\d+ min", card) and " km" in card


def rupiah_text(amount: int) -> str:
    return f"Rp{amount:,}".replace(",", ".")


def place_rated(customer, warung, stars):
    dish = DishFactory(warung=warung)
    _db.session.commit()
    food.add_to_cart(customer, dish.id, 1)
    _db.session.commit()
    order = place(customer, warung, key=f"rated-{stars}-{warung.id}")
    for status in (OrderStatus.ACCEPTED, OrderStatus.READY, OrderStatus.PICKED_UP, OrderStatus.DELIVERED):
        move(order, status)
    food.rate_order(order, by=customer, warung_stars=stars, courier_stars=None)
    _db.session.commit()
    return order


def test_order_again_puts_todays_dishes_in_the_cart_and_says_what_it_could_not(client, auth, db, customer, warung):
    rujak, tempong, gone = (DishFactory(warung=warung, name=n, price=20000) for n in ("Rujak", "Tempong", "Pecel"))
    db.session.commit()
    for dish, quantity in ((rujak, 2), (tempong, 1), (gone, 1)):
        food.add_to_cart(customer, dish.id, quantity)
    db.session.commit()
    order = place(customer, warung)
    move(order, OrderStatus.REJECTED)
    tempong.price = 22000
    tempong.sold_out_on = None
    db.session.delete(gone)
    db.session.commit()
    auth.login(customer)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Order again" in page
    response = auth.post(f"/orders/{order.id}/again", page=f"/orders/{order.id}")
    assert response.status_code == 302 and response.headers["Location"] == "/cart"
    cart = {line.dish.name: (line.quantity, line.dish.price) for line in food.cart_lines(customer)}
    assert cart == {"Rujak": (2, 20000), "Tempong": (1, 22000)}  # today's price
    html = client.get("/cart").get_data(as_text=True)
    assert "2 dishes are in your cart again." in html
    assert "Tempong now costs Rp22.000 (it was Rp20.000)." in html
    assert "Pecel could not be added: no longer on the menu." in html
    # A second tap adds nothing more.
    auth.post(f"/orders/{order.id}/again", page=f"/orders/{order.id}")
    assert sum(line.quantity for line in food.cart_lines(customer)) == 3


def test_order_again_is_only_for_the_orders_customer_and_leaves_sold_out_dishes(client, auth, db, customer, warung):
    dish = DishFactory(warung=warung, name="Rujak")
    db.session.commit()
    food.add_to_cart(customer, dish.id, 1)
    db.session.commit()
    order = place(customer, warung)
    move(order, OrderStatus.REJECTED)
    dish.sold_out_on = datetime.now(WIB).date()
    db.session.commit()
    result = food.order_again(customer, order)
    assert result.added == [] and [name for name, _why in result.missing] == ["Rujak"]
    stranger = UserFactory(locale="en")
    db.session.commit()
    AuthActions(client).login(stranger)
    response = AuthActions(client).post(f"/orders/{order.id}/again", page="/")
    assert response.status_code in (403, 404)
    assert food.cart_lines(stranger) == []
