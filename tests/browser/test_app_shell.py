"""The app shell in Chromium on a 390 px phone: the bottom tab bar and the Cart count, the home
page's "on its way" banner, badges whose colours differ, "Order again", and the bell — in both
languages, axe-clean, and the bell and "Order again" with JavaScript off."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal import notify
from portal.accounts.services import find_by_email
from portal.cli import seed_all
from portal.extensions import db as _db
from portal.food import services as food
from portal.food.models import FoodOrder, OpeningPeriod, OrderStatus, Warung
from portal.payments.services import payment_for, receipt_url
from portal.workflow import move
from tests.browser.conftest import PHONE, assert_accessible, login
from tests.food.test_orders import pay_by_card

DEMO_PASSWORD = "gancang-demo"
PLACE = {"address": "Homestay Kemiren", "lat": -8.2127, "lng": 114.3204, "note": ""}


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")


@pytest.fixture
def demo(app):
    """The development demo data, every warung open now (as tests/browser/test_food.py's)."""
    seed_all()
    for warung in _db.session.query(Warung):
        warung.periods.clear()
        _db.session.flush()
        warung.periods.extend(OpeningPeriod(weekday=day, opens=0, closes=0) for day in range(7))
    _db.session.commit()


def order_from(app, email: str, *, key: str, method: str = "cash", dishes: int = 1) -> int:
    with app.test_request_context():
        customer = find_by_email(email)
        warung = _db.session.scalar(_db.select(Warung).where(Warung.slug == "sego-tempong-bu-sri"))
        for dish in warung.dishes[:dishes]:
            food.add_to_cart(customer, dish.id, 1)
        total = food.price_checkout(customer, warung.id, **PLACE).total
        order = food.place_order(customer, warung.id, key=key, payment_method=method, expected_total=total, **PLACE)
        order_id = order.id
        _db.session.commit()
        return order_id


def moved(app, order_id: int, *statuses: OrderStatus) -> None:
    with app.test_request_context():
        order = _db.session.get(FoodOrder, order_id)
        for status in statuses:
            move(order, status)
        _db.session.commit()


DELIVERED = (OrderStatus.ACCEPTED, OrderStatus.READY, OrderStatus.PICKED_UP, OrderStatus.DELIVERED)


def tab_bar(page):
    return page.locator("ul.tabbar")


def test_the_tab_bar_sits_at_the_bottom_of_a_phone_and_counts_the_cart(page, demo):
    login(page, "tourist@example.com", DEMO_PASSWORD)
    page.goto("/warungs/sego-tempong-bu-sri")
    bar = tab_bar(page)
    box = bar.bounding_box()
    assert abs(box["y"] + box["height"] - PHONE["height"]) <= 1 and box["width"] >= PHONE["width"] - 1
    for name in ("Home", "Orders", "Cart", "Account"):
        expect(bar.get_by_role("link", name=re.compile(f"^{name}"))).to_be_visible()
    expect(page.locator("#count-cart")).to_be_hidden()
    with page.expect_response(lambda r: r.url.endswith("/cart/items")):
        page.get_by_role("button", name="Add Sego Tempong, complete").click()
    expect(page.locator("#count-cart")).to_have_text(re.compile(r"^1"))
    # The menu's own cart bar stays above the tab bar, never behind it.
    cart_bar = page.locator("#cart-bar a").bounding_box()
    assert cart_bar["y"] + cart_bar["height"] <= box["y"]
    assert_accessible(page)
    # Reachable from every page: the Cart tab opens the cart, and says it is the current page.
    page.goto("/rides")
    bar.get_by_role("link", name=re.compile("^Cart")).click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(bar.get_by_role("link", name=re.compile("^Cart"))).to_have_attribute("aria-current", "page")
    # Focus is visible on a tab.
    bar.get_by_role("link", name=re.compile("^Home")).focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.goto("/notifications")
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    assert_accessible(page)
    # In Indonesian the same tabs, translated.
    page.get_by_role("button", name="Bahasa Indonesia").click()
    for name in ("Beranda", "Pesanan", "Keranjang", "Akun"):
        expect(bar.get_by_role("link", name=re.compile(f"^{name}"))).to_be_visible()
    assert_accessible(page)


def test_on_a_wide_screen_the_tabs_are_the_top_navigation(browser, live_server, demo):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url, locale="en-US")
    page = context.new_page()
    try:
        page.goto("/warungs")
        box = tab_bar(page).bounding_box()
        assert box["y"] < 100, box
        assert_accessible(page)
    finally:
        context.close()


def test_the_home_page_banner_follows_an_order_until_it_arrives(app, page, demo):
    order_id = order_from(app, "tourist@example.com", key="banner")
    login(page, "tourist@example.com", DEMO_PASSWORD)
    page.goto("/")
    banner = page.locator("a.banner")
    expect(banner).to_contain_text("Food order")
    expect(banner.locator("mark.badge")).to_have_attribute("data-status", "placed")
    assert_accessible(page)
    moved(app, order_id, *DELIVERED)
    page.reload()
    expect(page.locator("a.banner")).to_have_count(0)
    moved_back = order_from(app, "tourist@example.com", key="banner-2")
    page.get_by_role("button", name="Bahasa Indonesia").click()
    expect(page.locator("a.banner")).to_contain_text("Pesanan makanan")
    page.locator("a.banner").click()
    expect(page).to_have_url(re.compile(f"/orders/{moved_back}$"))


def test_delivered_cancelled_and_refunded_badges_have_different_colours(app, page, demo):
    delivered = order_from(app, "tourist@example.com", key="done")
    moved(app, delivered, *DELIVERED)
    cancelled = order_from(app, "tourist@example.com", key="cancelled")
    refunded = order_from(app, "tourist@example.com", key="refunded", method="card")
    with app.test_request_context():
        order = _db.session.get(FoodOrder, refunded)
        pay_by_card(app, order)
        tourist = find_by_email("tourist@example.com")
        food.cancel_order(_db.session.get(FoodOrder, cancelled), by=tourist)
        food.cancel_order(_db.session.get(FoodOrder, refunded), by=tourist)
        _db.session.commit()
        receipt = receipt_url(payment_for(food.PAYABLE, refunded))
    login(page, "tourist@example.com", DEMO_PASSWORD)

    def colour(path: str) -> str:
        page.goto(path)
        badge = page.locator("mark.badge[data-status]").first
        expect(badge).to_be_visible()
        return badge.evaluate("el => getComputedStyle(el).backgroundColor")

    colours = {
        "delivered": colour(f"/orders/{delivered}"),
        "cancelled": colour(f"/orders/{cancelled}"),
        "refunded": colour(receipt),
    }
    expect(page.locator("mark.badge[data-status]").first).to_have_attribute("data-status", "refunded")
    assert len(set(colours.values())) == 3, colours
    assert "255, 255, 0" not in str(colours)  # none is the old marker yellow
    assert_accessible(page)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_order_again_fills_the_cart_from_a_past_order(app, browser, live_server, demo, javascript):
    context = browser.new_context(
        viewport=PHONE, base_url=live_server.url, locale="en-US", java_script_enabled=javascript
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        order_id = order_from(app, "tourist@example.com", key=f"again-{javascript}", dishes=2)
        moved(app, order_id, *DELIVERED)
        login(page, "tourist@example.com", DEMO_PASSWORD)
        page.goto(f"/orders/{order_id}")
        page.get_by_role("button", name="Order again").click()
        expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
        expect(page.get_by_text("2 dishes are in your cart again.")).to_be_visible()
        expect(page.locator("#count-cart")).to_have_text(re.compile(r"^2"))
        if javascript:  # axe runs as a script: it checks the page with JavaScript on
            assert_accessible(page)
    finally:
        context.close()


def test_the_bell_lists_what_was_sent_and_marks_it_read_without_javascript(app, browser, live_server, demo):
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, locale="en-US", java_script_enabled=False)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        order_id = order_from(app, "tourist@example.com", key="bell")
        moved(app, order_id, OrderStatus.ACCEPTED)  # the warung accepts: the tourist is told
        with app.test_request_context():
            tourist = find_by_email("tourist@example.com")
            sent = [m for m in notify.outbox if m.user_id == tourist.id]
        assert sent, "accepting the order sends the customer a message"
        login(page, "tourist@example.com", DEMO_PASSWORD)
        bell = page.get_by_role("link", name=re.compile("^Notifications"))
        expect(bell.locator(".count")).to_be_visible()
        unread = int(re.match(r"\d+", bell.locator(".count").inner_text()).group())
        bell.click()
        expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
        page.get_by_role("button", name="Open").first.click()
        expect(page).to_have_url(re.compile(f"/orders/{order_id}$"))
        if unread == 1:
            expect(page.locator("#count-unread")).to_be_hidden()
        else:
            expect(page.locator("#count-unread")).to_contain_text(str(unread - 1))
        page.goto("/notifications")
        page.get_by_role("button", name="Bahasa Indonesia").click()
        expect(page.get_by_role("heading", name="Notifikasi")).to_be_visible()
        if unread > 1:
            page.get_by_role("button", name="Tandai semua sudah dibaca").click()
            expect(page.get_by_text("Semua notifikasi ditandai sudah dibaca.")).to_be_visible()
        expect(page.locator("#count-unread")).to_be_hidden()
    finally:
        context.close()
