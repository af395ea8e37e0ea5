"""A shared page, filled in per visitor (portal.pagecache.SharedPage)."""

from __future__ import annotations

import re

from flask_wtf.csrf import generate_csrf

from portal.pagecache import CSRF_SLOT, PageCache, SharedPage

SLOTS = re.compile(r'<span id="(cart-\d+)" class="in-cart"></span>|<p id="(cart-bar)"></p>')
PAGE = (
    f'<meta content="{CSRF_SLOT}"><ul>'
    '<li>Sego <span id="cart-7" class="in-cart"></span></li>'
    '<li>Rujak <span id="cart-12" class="in-cart"></span></li>'
    f'</ul><p id="cart-bar"></p><input value="{CSRF_SLOT}">'
)


def tokens(html: str) -> list[str]:
    return re.findall(r'(?:content|value)="([^"]*)"', html)


def test_the_visitors_token_goes_wherever_the_placeholder_was(app):
    page = SharedPage(PAGE, SLOTS)
    with app.test_request_context():
        html = page.fill()
    first, second = tokens(html)
    assert first == second and len(first) > 20 and CSRF_SLOT not in html
    assert html.replace(first, CSRF_SLOT) == PAGE  # nothing else changed


def test_named_slots_are_replaced_and_the_others_kept(app):
    page = SharedPage(PAGE, SLOTS)
    with app.test_request_context():
        html = page.fill({"cart-12": "<b>2 in cart</b>", "cart-bar": "<p>Cart: 2</p>", "cart-99": "<i>gone</i>"})
    assert "<li>Rujak <b>2 in cart</b></li>" in html
    assert '<li>Sego <span id="cart-7" class="in-cart"></span></li>' in html  # not in the cart
    assert "</ul><p>Cart: 2</p><input" in html
    assert "gone" not in html  # a dish no longer on the menu has no slot


def test_two_visitors_of_one_kept_page_get_their_own(app):
    cache = PageCache("test", slots=SLOTS.pattern)
    with app.test_request_context():
        mine, my_token = cache.page("menu", lambda: PAGE).fill({"cart-7": "<b>1</b>"}), generate_csrf()
    with app.test_request_context():
        theirs, their_token = cache.page("menu", lambda: "rendered again").fill(), generate_csrf()
    # (Different visitors' tokens differ: tests/food/test_menu_cache.py, with real sessions.)
    assert tokens(mine) == [my_token] * 2 and tokens(theirs) == [their_token] * 2
    assert "<b>1</b>" in mine and "<b>1</b>" not in theirs
    assert str(cache.page("menu", lambda: "")) == PAGE  # kept as rendered


def test_a_page_for_one_visitor_keeps_its_token_and_fills_its_slots(app):
    with app.test_request_context():
        page = PageCache("test", slots=SLOTS.pattern).page(None, lambda: PAGE.replace(CSRF_SLOT, "their-token"))
        html = page.fill({"cart-bar": "<p>Cart: 1</p>"})
    assert tokens(html) == ["their-token", "their-token"] and "<p>Cart: 1</p>" in html


def test_a_page_without_slots_is_returned_whole(app):
    with app.test_request_context():
        assert SharedPage("<p>plain</p>").fill({"cart-bar": "x"}) == "<p>plain</p>"
