"""A regency voucher in Chromium: the office creates it, a tourist orders with it and sees the
discount line by line before placing the order and on the order page, and the office sees the
budget used. Every page axe-clean, no JavaScript needed for any step."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.accounts.services import find_by_email
from portal.cli import seed_all
from portal.database import utcnow
from portal.extensions import db as _db
from portal.food import services as food
from portal.food.models import OpeningPeriod, Warung
from portal.formatting import to_wib
from tests.browser.conftest import assert_accessible, login

DEMO_PASSWORD = "gancang-demo"


@pytest.fixture
def demo(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    seed_all()
    for warung in _db.session.query(Warung):
        warung.periods.clear()
        _db.session.flush()
        warung.periods.extend(OpeningPeriod(weekday=day, opens=0, closes=0) for day in range(7))
    _db.session.commit()


def test_the_seeded_voucher_works_at_the_festivals_warungs(app, demo):
    """`make run`: PESTA10 takes Rp10.000 off at a warung the seeded festival approved."""
    with app.test_request_context():
        tourist = find_by_email("tourist@example.com")
        warung = _db.session.scalar(_db.select(Warung).where(Warung.slug == "sego-tempong-bu-sri"))
        food.add_to_cart(tourist, warung.dishes[0].id, 2)
        place = {"address": "Homestay Kemiren", "lat": -8.2127, "lng": 114.3204, "note": ""}
        checkout = food.price_checkout(tourist, warung.id, **place, voucher_code="pesta 10")
        assert checkout.voucher is not None and checkout.voucher.festival.slug == "pesta-kuliner-banyuwangi"
        assert checkout.discount == 10_000 and checkout.voucher_problem is None
        _db.session.rollback()


def test_the_office_makes_a_voucher_and_a_tourist_orders_with_it(page, demo):
    today = to_wib(utcnow()).date()
    # The demo admin reads Indonesian.
    login(page, "admin@example.com", DEMO_PASSWORD)
    page.goto("/office/vouchers/new")
    assert_accessible(page)
    page.get_by_label("Nama (bahasa Indonesia)").fill("Pesta Kuliner Rp15.000")
    page.get_by_label("Kode (kosongkan untuk potongan otomatis)").fill("kuliner 15")
    page.get_by_label("Potongan (rupiah)").fill("15000")
    page.get_by_label("Total anggaran (rupiah)").fill("1000000")
    page.get_by_label("Hari pertama").fill(str(today - timedelta(days=1)))
    page.get_by_label("Hari terakhir").fill(str(today + timedelta(days=7)))
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_role("cell", name="KULINER15")).to_be_visible()
    assert_accessible(page)

    page.context.clear_cookies()
    login(page, "tourist@example.com", DEMO_PASSWORD)
    page.goto("/warungs/sego-tempong-bu-sri")
    page.get_by_role("button", name="Add Rujak soto (vegetable rujak in beef soup)").click()
    expect(page.locator("#cart-bar")).to_contain_text("Cart: 1 item,")
    page.goto("/cart")
    page.get_by_role("link", name="Osing Kemiren Homestay").click()
    page.get_by_label("Voucher code (optional)").fill(" Kuliner 15 ")
    page.get_by_label("Cash to the courier").check()
    page.get_by_role("button", name="See the total with delivery").click()
    expect(page.locator("[data-discount-label]")).to_have_text("Voucher KULINER15, paid by the regency")
    expect(page.locator("[data-discount]")).to_have_text("−Rp15.000")
    expect(page.get_by_label("Voucher code (optional)")).to_have_value("KULINER15")
    assert_accessible(page)
    place = page.get_by_role("button", name=re.compile(r"Place order · Rp"))
    place.click()
    expect(page.get_by_role("heading", name=re.compile(r"^Order \d+$"))).to_be_visible()
    expect(page.locator("tr.discount")).to_contain_text("−Rp15.000")
    assert_accessible(page)

    page.context.clear_cookies()
    login(page, "admin@example.com", DEMO_PASSWORD)
    page.goto("/office/vouchers")
    row = page.get_by_role("row", name=re.compile("KULINER15"))
    expect(row).to_contain_text("Rp15.000")  # used
    expect(row).to_contain_text("Rp985.000")  # left
