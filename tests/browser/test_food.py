"""The whole food story in Chromium, and what a phone downloads for it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.accounts.services import find_by_email
from portal.cli import seed_all
from portal.couriers import services as couriers
from portal.couriers.contract import Purpose
from portal.couriers.models import DeliveryStatus
from portal.extensions import db as _db
from portal.food import services as food
from portal.food.models import Dish, FoodOrder, OpeningPeriod, Warung
from tests.browser.conftest import CHROMIUM_ARGS, PHONE, assert_accessible, login, pay_by_card  # noqa: F401

DEMO_PASSWORD = "gancang-demo"


@pytest.fixture
def demo(app):
    """The development demo data (accounts, warungs, the verified driver), every warung open now."""

    app.config["UPLOAD_DIR"] = app.config.get("UPLOAD_DIR") or None
    seed_all()
    for warung in _db.session.query(Warung):
        warung.periods.clear()
        _db.session.flush()
        warung.periods.extend(OpeningPeriod(weekday=day, opens=0, closes=0) for day in range(7))
    _db.session.commit()


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")


def transferred(response) -> int:
    sizes = response.request.sizes()
    return sizes["responseBodySize"] + sizes["responseHeadersSize"]


def test_menu_first_visit_and_add_to_cart_are_small(page, demo):
    responses = []
    page.on("response", lambda r: responses.append(r))
    page.goto("/warungs/sego-tempong-bu-sri")
    page.wait_for_load_state("networkidle")
    total = sum(transferred(r) for r in responses)
    assert any(r.url.endswith(".webp") for r in responses), "the menu shows its photos"
    print(f"menu first visit: {total} bytes")
    assert total <= 60 * 1024, f"first visit moved {total} bytes"
    assert_accessible(page)

    login(page, "tourist@example.com", DEMO_PASSWORD)
    page.goto("/warungs/sego-tempong-bu-sri")
    with page.expect_response(lambda r: r.url.endswith("/cart/items")) as added:
        page.get_by_role("button", name="Add Sego Tempong, complete").click()
    expect(page.locator("#cart-bar")).to_contain_text("Cart: 1 item,")
    size = transferred(added.value)
    print(f"add-to-cart fragment: {size} bytes")
    assert size <= 2048, f"the add-to-cart fragment moved {size} bytes"
    expect(page.locator("li.dish", has_text="Sego tempong, complete").locator(".in-cart")).to_have_text("1 in cart")
    expect(page.locator(".in-cart", has_text="in cart")).to_have_count(1)


def test_the_cart_bar_never_hides_the_focused_add_button(page, demo):
    """The cart bar sticks to the bottom of a phone's screen. Tabbing down the menu, each
    "+ Add" must come into view above it, never behind it (WCAG 2.4.11, focus not obscured)."""
    login(page, "tourist@example.com", DEMO_PASSWORD)
    page.goto("/warungs/sego-tempong-bu-sri")
    buttons = page.locator("button[hx-post]")
    with page.expect_response(lambda r: r.url.endswith("/cart/items")):
        buttons.first.click()
    bar = page.locator("#cart-bar a")
    expect(bar).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("h1").click()  # start tabbing from the top of the page
    seen = 0
    for _ in range(80):
        page.keyboard.press("Tab")
        focused = page.evaluate_handle("document.activeElement")
        if not focused.evaluate("el => el.matches('button[hx-post]')"):
            continue
        seen += 1
        box, covering = focused.bounding_box(), bar.bounding_box()
        label = focused.get_attribute("aria-label")
        assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], f"{label} is off screen"
        assert box["y"] + box["height"] <= covering["y"] or box["y"] >= covering["y"] + covering["height"], (
            f"{label} (y {box['y']:.0f}–{box['y'] + box['height']:.0f}) is behind the cart bar (y {covering['y']:.0f})"
        )
        if seen == buttons.count():
            break
    assert seen == buttons.count() > 5


def test_a_refused_add_says_why_beside_the_button(page, demo):
    """The dish sold out after the menu was opened: the server refuses the add with a 422 whose
    fragment says why, and the phone shows it where the count would be."""

    login(page, "tourist@example.com", DEMO_PASSWORD)
    page.goto("/warungs/sego-tempong-bu-sri")
    button = page.get_by_role("button", name="Add Sego Tempong, complete")
    dish = _db.session.get(Dish, int(button.get_attribute("value")))
    food.set_sold_out(dish, True)
    _db.session.commit()
    with page.expect_response(lambda r: r.url.endswith("/cart/items")) as refused:
        button.click()
    assert refused.value.status == 422
    slot = page.locator(f"#cart-{dish.id}")
    expect(slot.get_by_role("alert")).to_have_text(re.compile("sold out today"))
    expect(page.locator("#cart-bar a")).to_have_count(0)  # nothing was added


def place_cash_order(app, email: str):
    """An order from `email` to the demo owner's warung, placed through the services."""

    with app.test_request_context():
        customer = find_by_email(email)
        warung = _db.session.scalar(_db.select(Warung).where(Warung.owner_id == find_by_email("owner@example.com").id))
        food.add_to_cart(customer, warung.dishes[0].id, 1)
        place = {"address": "Homestay Kemiren", "lat": -8.2127, "lng": 114.3204, "note": ""}
        total = food.price_checkout(customer, warung.id, **place).total
        order = food.place_order(
            customer, warung.id, key=f"board-{email}", payment_method="cash", expected_total=total, **place
        )
        order_id = order.id  # read before the commit: a read after it would hold a snapshot open
        _db.session.commit()
        return order_id


def test_the_board_keeps_a_half_typed_rejection_while_it_refreshes(app, page, demo):
    """The owner's board polls every 5 s. Neither an unchanged answer nor news of another order
    may close the rejection the owner opened or wipe the reason they are typing."""
    first = place_cash_order(app, "tourist@example.com")
    login(page, "owner@example.com", DEMO_PASSWORD)
    page.goto("/my/warung/orders")
    rejection = page.locator(f"#reject-{first}")
    rejection.locator("summary").click()
    reason = rejection.get_by_role("textbox")
    reason.fill("Sambal habis")
    page.evaluate("document.getElementById('board').dataset.seen = 'yes'")
    with page.expect_response(lambda r: r.url.endswith("/my/warung/orders"), timeout=8000) as polled:
        pass
    assert polled.value.ok
    page.wait_for_timeout(300)  # let a swap, were there one, settle
    expect(page.locator("#board")).to_have_attribute("data-seen", "yes")  # an unchanged board is left alone
    expect(reason).to_have_value("Sambal habis")
    expect(reason).to_be_focused()
    second = place_cash_order(app, "admin@example.com")
    expect(page.locator(f"#reject-{second}")).to_be_attached(timeout=8000)  # the board did change
    expect(rejection).to_have_attribute("open", "")
    expect(reason).to_have_value("Sambal habis")


def test_changing_the_cart_keeps_what_was_typed_for_delivery(app, page, demo):
    """Address, note and payment are filled in; then a quantity changes (or is refused): the
    cart is redrawn and all of it is still there, "Use my location" too."""

    with app.test_request_context():
        tourist = find_by_email("tourist@example.com")
        warung = _db.session.scalar(_db.select(Warung).where(Warung.slug == "sego-tempong-bu-sri"))
        first, second = warung.dishes[0], warung.dishes[1]
        food.add_to_cart(tourist, first.id, 1)
        food.add_to_cart(tourist, second.id, 1)
        _db.session.commit()
        first_name = first.display_name("en")
    login(page, "tourist@example.com", DEMO_PASSWORD)
    page.goto("/cart")
    page.get_by_label("Homestay or hotel name and address").fill("Homestay Kemiren, Jl. Barong 3")
    page.get_by_label("Note for the driver (optional)").fill("Rumah cat hijau")
    page.get_by_label("Cash to the courier").check()
    geo = page.get_by_role("button", name="Use my location")
    expect(geo).to_be_visible()
    page.get_by_label(f"Quantity of {first_name}").fill("3")
    with page.expect_response(lambda r: "/cart/items/" in r.url):
        page.locator("form.quantity", has=page.get_by_label(f"Quantity of {first_name}")).get_by_role(
            "button", name="Change"
        ).click()
    expect(page.get_by_label(f"Quantity of {first_name}")).to_have_value("3")
    expect(page.get_by_label("Homestay or hotel name and address")).to_have_value("Homestay Kemiren, Jl. Barong 3")
    expect(page.get_by_label("Note for the driver (optional)")).to_have_value("Rumah cat hijau")
    expect(page.get_by_label("Cash to the courier")).to_be_checked()
    expect(geo).to_be_visible()
    assert_accessible(page)


def new_page(browser, live_server):
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, locale="en-US", timezone_id="Asia/Jakarta")
    context.set_default_timeout(15_000)
    return context.new_page()


def deliver_as_demo_driver(app, pin: str, on_the_way) -> None:

    with app.test_request_context():
        _db.session.rollback()
        driver = find_by_email("driver@example.com")
        order = _db.session.query(FoodOrder).order_by(FoodOrder.id.desc()).first()
        delivery = couriers.find_delivery(Purpose.FOOD, order.id)
        couriers.accept_job(delivery, driver=driver)
        couriers.mark(delivery, DeliveryStatus.PICKING_UP, by=driver)
        couriers.mark(delivery, DeliveryStatus.PICKED_UP, by=driver)
        _db.session.commit()
        on_the_way()
        couriers.mark(delivery, DeliveryStatus.DELIVERED, by=driver, pin=pin)
        _db.session.commit()


def test_the_whole_food_story(app, page, browser, live_server, demo):
    # The demo owner marks a dish sold out and back (Indonesian: the owner has no English set).
    owner = new_page(browser, live_server)
    login(owner, "owner@example.com", DEMO_PASSWORD)
    owner.goto("/my/warung/dishes")
    row = owner.locator("li.owner-dish", has_text="Tempe Mendoan")
    row.get_by_role("button", name="Tandai habis").click()
    expect(row.get_by_text("Habis hari ini")).to_be_visible()
    assert_accessible(owner)
    row.get_by_role("button", name="Tersedia lagi").click()
    expect(row.get_by_role("button", name="Tandai habis")).to_be_visible()
    owner.goto("/my/warung/orders")  # stays open: new orders appear by themselves
    expect(owner.locator("#new-order-alert")).to_be_hidden()

    # A tourist searches "rujak", adds dishes, checks out to a homestay, pays by card.
    login(page, "tourist@example.com", DEMO_PASSWORD)
    page.goto("/warungs")
    assert_accessible(page)
    page.get_by_label("Search warungs and dishes").fill("rujak")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("link", name="Rujak Soto Mbok Nah")).to_be_visible()
    expect(page.get_by_role("link", name="Warung Bakso")).to_have_count(0)
    page.get_by_role("link", name="Warung Sego Tempong Bu Sri").click()
    expect(page.get_by_role("heading", name="Warung Sego Tempong Bu Sri")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Add Rujak soto (vegetable rujak in beef soup)").click()
    expect(page.locator("#cart-bar")).to_contain_text("Cart: 1 item,")
    page.get_by_role("button", name="Add Rujak soto (vegetable rujak in beef soup)").click()
    page.get_by_role("button", name="Add Sego tempong, complete").click()
    expect(page.locator("#cart-bar")).to_contain_text("Cart: 3 items, Rp70.000")
    expect(page.locator("li.dish", has_text="Rujak soto").locator(".in-cart")).to_have_text("2 in cart")
    page.locator("#cart-bar a").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Osing Kemiren Homestay").click()
    expect(page.get_by_label("Homestay or hotel name and address")).to_have_value(re.compile("Kemiren"))
    page.get_by_label("Note for the driver (optional)").fill("Blue gate, ring the bell")
    page.get_by_label("Card (pay now)").check()
    page.get_by_role("button", name="See the total with delivery").click()
    place = page.get_by_role("button", name=re.compile(r"Place order · Rp"))
    expect(place).to_be_visible()
    expect(page.get_by_label("Note for the driver (optional)")).to_have_value("Blue gate, ring the bell")
    assert_accessible(page)
    total = place.text_content().split("·")[-1].strip()
    place.click()
    expect(page.get_by_role("heading", name="Pay by card")).to_be_visible()
    pay_by_card(page, total)  # the card page asks for the total the order showed
    expect(page.get_by_role("heading", name=re.compile(r"^Order \d+$"))).to_be_visible()
    expect(page.locator(".order-status")).to_contain_text("Placed")
    order_url = page.url
    assert_accessible(page)

    # The owner's open board shows the order and the new-order cue without a reload; accept, ready.
    expect(owner.locator("#board")).to_contain_text("2 × Rujak Soto", timeout=15_000)
    expect(owner.locator("#new-order-alert")).to_be_visible()
    owner.get_by_role("button", name="Terima").click()
    owner.get_by_role("button", name="Siap: panggil kurir").click()
    expect(owner.get_by_text("kami sedang mencarikan kurir")).to_be_visible()  # none accepted yet
    assert_accessible(owner)

    # The tourist sees the PIN.
    page.goto(order_url)
    pin = page.locator(".pin-code").inner_text().strip()
    assert re.fullmatch(r"\d{4,6}", pin)

    # The demo driver takes the job in /courier and hands over with the PIN.
    if "couriers.workspace" in app.view_functions:
        driver = new_page(browser, live_server)
        login(driver, "driver@example.com", DEMO_PASSWORD)
        driver.goto("/courier")
        assert_accessible(driver)
        driver.locator("#open-jobs article", has_text="Sego Tempong Bu Sri").get_by_role("button").first.click()
        expect(driver.locator("#job-title")).to_have_text(
            "Makanan: Warung Sego Tempong Bu Sri → Osing Kemiren Homestay"
        )
        driver.get_by_role("button", name="Menuju lokasi jemput").click()
        driver.get_by_role("button", name="Sudah dijemput").click()
        expect(page.locator(".order-status")).to_contain_text("On the way to you", timeout=20_000)
        driver.locator("input[name=pin]").fill(pin)
        driver.locator("form[action$='/deliver'] button[type=submit]").click()
        driver.context.close()
    else:  # the courier workspace is not merged yet: the driver's moves through the courier service
        deliver_as_demo_driver(
            app,
            pin,
            on_the_way=lambda: expect(page.locator(".order-status")).to_contain_text(
                "On the way to you", timeout=20_000
            ),
        )

    # The tourist sees "Delivered" and the rating form (the page polls itself, no reload) and rates.
    expect(page.locator(".order-status")).to_contain_text("Delivered", timeout=20_000)
    page.get_by_role("group", name="The food").get_by_label("5 stars").check()
    page.get_by_role("group", name="The courier").get_by_label("5 stars").check()
    page.get_by_label("Comment (optional)").fill("Sambalnya mantap!")
    page.get_by_role("button", name="Send rating").click()
    expect(page.get_by_text("Thank you for your rating!")).to_be_visible()
    assert_accessible(page)
    page.goto("/my/activity")
    expect(page.get_by_text(re.compile(r"Order \d+ from Warung Sego Tempong Bu Sri"))).to_be_visible()
    owner.context.close()


def test_owner_and_admin_pages_are_accessible(page, demo):
    login(page, "owner@example.com", DEMO_PASSWORD)
    for path in ("/my/warung", "/my/warung/dishes", "/my/warung/orders", "/warungs"):
        page.goto(path)
        assert_accessible(page)
    page.goto("/my/warung/dishes")
    page.get_by_label("Nama (bahasa Indonesia)").fill("Es Kelapa Muda")
    page.get_by_label("Harga (rupiah)").fill("0")
    page.get_by_role("button", name="Masukkan ke menu").click()
    expect(page.get_by_text("Harga harus lebih dari Rp0.")).to_be_visible()
    expect(page.get_by_label("Nama (bahasa Indonesia)")).to_have_value("Es Kelapa Muda")
    assert_accessible(page)
    page.locator("summary", has_text="Menu").click()
    page.get_by_role("button", name="Keluar").click()
    login(page, "admin@example.com", DEMO_PASSWORD)
    page.goto("/admin/warungs")
    expect(page.get_by_text("Warung Kopi Using Gandrung")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("Verifikasi")).click()
    expect(page.locator(".flash-success")).to_contain_text("terverifikasi dan sudah tampil")


def test_without_javascript_add_comes_back_to_the_dish_in_the_tourists_language(app, browser, live_server, demo):
    """A tourist (English) on a phone without JavaScript: "+ Add" on a dish far down the menu
    posts the form and comes back to that dish, scrolled into view and marked "1 in cart", not to
    the top of the menu. The menu, its headings and its descriptions are in English."""
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, locale="en-US", java_script_enabled=False)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        login(page, "tourist@example.com", DEMO_PASSWORD)
        page.goto("/warungs/sego-tempong-bu-sri")
        expect(page.get_by_role("heading", name="Drinks")).to_be_visible()
        expect(page.get_by_text("the Banyuwangi classic since 1998")).to_be_visible()
        expect(page.get_by_text("Refreshing, a Banyuwangi speciality.")).to_be_visible()
        assert page.get_by_role("heading", name="Minuman").count() == 0
        button = page.get_by_role("button", name="Add Iced Javanese ginger drink")
        dish_id = button.get_attribute("value")
        assert page.evaluate("window.scrollY") == 0
        button.click()
        page.wait_for_load_state()
        expect(page).to_have_url(re.compile(rf"/warungs/sego-tempong-bu-sri#dish-{dish_id}$"))
        dish = page.locator(f"#dish-{dish_id}")
        expect(dish.locator(".in-cart")).to_have_text("1 in cart")
        expect(dish).to_be_in_viewport()
        assert page.evaluate("window.scrollY") > 0, "the page came back scrolled to the dish, not at the top"
        landed = page.url
        state = context.storage_state()
    finally:
        context.close()
    # axe runs as a script: the same page, the dish highlighted as the target, with JavaScript on.
    checking = browser.new_context(viewport=PHONE, base_url=live_server.url, locale="en-US", storage_state=state)
    try:
        page = checking.new_page()
        page.goto(landed)
        expect(page.locator(f"#dish-{dish_id} .in-cart")).to_have_text("1 in cart")
        assert_accessible(page)
    finally:
        checking.close()
