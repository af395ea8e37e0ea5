"""The whole food story in Chromium, and what a phone downloads for it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.extensions import db as _db
from tests.browser.conftest import CHROMIUM_ARGS, PHONE, assert_accessible, login  # noqa: F401

DEMO_PASSWORD = "gancang-demo"


@pytest.fixture
def demo(app):
    """The development demo data (accounts, warungs, the verified driver), every warung open now."""
    from portal.cli import seed_all
    from portal.food.models import OpeningPeriod, Warung

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
    expect(page.locator("#cart-bar")).to_contain_text("Cart: 1 items")
    size = transferred(added.value)
    print(f"add-to-cart fragment: {size} bytes")
    assert size <= 2048, f"the add-to-cart fragment moved {size} bytes"
    expect(page.get_by_text("1 in cart")).to_be_visible()
