"""The festival story in Chromium on a phone: the tourism office creates a festival, the demo
owner opts in, the office approves, a tourist finds the festival, its page and the badge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.cli import seed_all
from portal.database import utcnow
from portal.extensions import db as _db
from portal.food.models import OpeningPeriod, Warung
from portal.formatting import to_wib
from tests.browser.conftest import assert_accessible, login

DEMO_PASSWORD = "gancang-demo"


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")


@pytest.fixture
def demo(app):
    """The development demo data, every warung open now."""
    seed_all()
    for warung in _db.session.query(Warung):
        warung.periods.clear()
        _db.session.flush()
        warung.periods.extend(OpeningPeriod(weekday=day, opens=0, closes=0) for day in range(7))
    _db.session.commit()


def local(moment) -> str:
    return to_wib(moment).strftime("%Y-%m-%dT%H:%M")


def switch_to(page, base: str, email: str) -> None:
    """Sign in as someone else, reading English (the demo owner and office have no language set)."""
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "lang", "value": "en", "url": base}])
    login(page, email, DEMO_PASSWORD)


def test_office_festival_owner_opts_in_office_approves_tourist_sees_it(page, live_server, demo):
    now = utcnow()
    switch_to(page, live_server.url, "promoter@example.com")
    page.goto("/promotions")
    assert_accessible(page)
    page.get_by_role("button", name="New festival").click()
    page.get_by_label("Name (Indonesian)").fill("Festival Gandrung Rasa")
    page.get_by_label("Name (English)").fill("Gandrung Taste Festival")
    page.get_by_label("Description (Indonesian)").fill("Malam kuliner di Taman Blambangan.")
    page.get_by_label("Description (English)").fill("Food nights at Taman Blambangan.")
    page.get_by_label("Starts (WIB)").fill(local(now - timedelta(hours=1)))
    page.get_by_label("Ends (WIB)").fill(local(now - timedelta(hours=2)))  # before the start
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".field-error")).to_contain_text("The festival must end after it starts.")
    expect(page.get_by_label("Name (English)")).to_have_value("Gandrung Taste Festival")  # kept
    assert_accessible(page)
    page.get_by_label("Ends (WIB)").fill(local(now + timedelta(days=3)))
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash-success")).to_contain_text("The festival is saved.")
    office_page = page.url

    switch_to(page, live_server.url, "owner@example.com")
    page.goto("/my/warung")
    festival = page.locator("#festivals article", has_text="Gandrung Taste Festival")
    festival.get_by_role("button", name="Take part").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("#festivals article", has_text="Gandrung Taste Festival")).to_contain_text(
        "Waiting for approval"
    )
    assert_accessible(page)

    switch_to(page, live_server.url, "promoter@example.com")
    page.goto(office_page)
    entry = page.locator("article.entry", has_text="Warung Sego Tempong Bu Sri")
    entry.get_by_role("button", name="Approve").click()
    expect(page.locator("article.entry", has_text="Warung Sego Tempong Bu Sri")).to_contain_text("Taking part")
    assert_accessible(page)

    switch_to(page, live_server.url, "tourist@example.com")
    page.goto("/")
    expect(page.locator(".festival-card")).to_contain_text("Gandrung Taste Festival")
    expect(page.locator(".collection-cards")).to_contain_text("Banyuwangi Specialities")
    assert_accessible(page)
    page.locator(".festival-card").get_by_role("button", name="See the warungs taking part").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gandrung Taste Festival")
    expect(page.locator(".warung-card")).to_have_count(1)
    expect(page.locator(".warung-card")).to_contain_text("Open now")
    assert_accessible(page)

    page.goto("/warungs")
    card = page.locator(".warung-card", has_text="Warung Sego Tempong Bu Sri")
    expect(card.locator(".festival-badge")).to_be_visible()
    assert_accessible(page)
    card.get_by_role("link", name="Warung Sego Tempong Bu Sri").click()
    expect(page.locator(".warung-head .festival-badge")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the menu is {width} px wide on a 390 px phone"

    switch_to(page, live_server.url, "admin@example.com")
    page.goto("/admin/dashboard")
    budget = page.locator("#promotions-budget tr", has_text="Banyuwangi Food Festival (Festival)")
    expect(budget).to_contain_text("Rp")  # the seeded PESTA10's budget for the seeded festival
    expect(page.locator("#promotions-uplift")).to_contain_text("Gandrung Taste Festival (Festival)")
    assert_accessible(page)
