"""A new user registers, logs in, switches language and back; every page is axe-clean."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from portal import notify
from portal.accounts.models import Role
from tests.browser.conftest import assert_accessible, login
from tests.factories import DEMO_PASSWORD, UserFactory


def test_register_switch_language_and_log_in_again(page, db):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    assert_accessible(page)

    page.get_by_role("banner").get_by_role("button", name="Daftar").click()
    expect(page.get_by_role("heading", name="Buat akun Gancang Anda")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Nama lengkap").fill("Putu Wulandari")
    page.get_by_label("Email").fill("putu@example.com")
    page.get_by_label("Nomor HP (WhatsApp)").fill("0812 3456 7890")
    page.get_by_label("Kata sandi", exact=True).fill("ijen-blue-fire")
    page.get_by_label("Ulangi kata sandi").fill("ijen-blue-fire")
    page.get_by_role("main").get_by_role("button", name="Daftar").click()
    expect(page.get_by_text("Selamat datang di Gancang, Putu Wulandari!")).to_be_visible()
    # Ordering waits for the phone: type back the code the SMS brought.
    expect(page.get_by_role("heading", name="Verifikasi nomor telepon")).to_be_visible()
    assert_accessible(page)
    code = re.search(r"\b([0-9]{6})\b", notify.outbox[-1].text).group(1)
    page.get_by_label("Kode dari SMS").fill(code)
    page.get_by_role("main").get_by_role("button", name="Verifikasi", exact=True).click()
    expect(page.get_by_text("Nomor telepon Anda terverifikasi. Terima kasih!")).to_be_visible()

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Gancang Banyuwangi")).to_be_visible()
    assert_accessible(page)

    page.locator("summary", has_text="Menu").click()
    page.get_by_role("link", name="My activity").click()
    expect(page.get_by_role("heading", name="My activity")).to_be_visible()
    expect(page.get_by_text("Nothing here yet.")).to_be_visible()
    assert_accessible(page)

    page.locator("summary", has_text="Menu").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()

    login(page, "putu@example.com", "ijen-blue-fire")
    expect(page.get_by_text("You are logged in.")).to_be_visible()
    page.get_by_role("button", name="Bahasa Indonesia").click()
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.get_by_text("Makanan, ojek trail Ijen")).to_be_visible()


def test_form_errors_are_announced_and_keep_input(page):
    page.goto("/register")
    page.get_by_label("Nama lengkap").fill("Ketut")
    page.get_by_label("Email").fill("ketut@example.com")
    page.get_by_label("Nomor HP (WhatsApp)").fill("123")
    page.get_by_role("main").get_by_role("button", name="Daftar").click()
    phone = page.get_by_label("Nomor HP (WhatsApp)")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_have_value("123")
    expect(page.get_by_label("Nama lengkap")).to_have_value("Ketut")
    expect(page.get_by_text(re.compile("Masukkan nomor telepon Indonesia"))).to_be_visible()
    # Focus lands on the summary of what to correct, whose line leads to the field.
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Mohon periksa:")
    summary.get_by_role("link", name="Nomor HP (WhatsApp)").click()
    expect(phone).to_be_focused()
    assert_accessible(page)


def test_the_language_buttons_show_where_the_keyboard_is(page):
    page.goto("/login")
    english = page.get_by_role("button", name="English")
    english.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    expect(english).to_be_focused()
    outline = english.evaluate("b => [getComputedStyle(b).outlineStyle, getComputedStyle(b).outlineWidth]")
    assert outline[0] == "solid" and outline[1] == "3px", outline


def test_removing_a_role_asks_first(page, db):
    admin = UserFactory(roles=[Role.ADMIN], email="boss@example.com", locale="en")
    driver = UserFactory(roles=[Role.DRIVER], name="Pak Wayan", locale="en")
    db.session.commit()
    login(page, admin.email, DEMO_PASSWORD)
    page.goto(f"/admin/users?q={driver.email}")
    remove = page.get_by_role("button", name="Remove Driver / courier from Pak Wayan")
    page.once("dialog", lambda dialog: dialog.dismiss())
    remove.click()
    expect(page.get_by_text("Driver / courier").first).to_be_visible()
    db.session.rollback()
    assert driver.has_role(Role.DRIVER)
    page.once("dialog", lambda dialog: dialog.accept())
    remove.click()
    expect(page.get_by_text("Driver / courier removed from Pak Wayan.")).to_be_visible()
    assert_accessible(page)


def test_pages_in_both_languages_are_accessible(page, db):
    admin = UserFactory(roles=[Role.ADMIN], email="admin@example.com")
    db.session.commit()
    login(page, admin.email, DEMO_PASSWORD)
    for lang in ("Bahasa Indonesia", "English"):
        button = page.get_by_role("button", name=lang)
        if button.is_enabled():
            button.click()
        for path in ("/", "/account", "/my/activity", "/admin", "/admin/users", "/no-such-page"):
            page.goto(path)
            assert_accessible(page)


def test_login_page_on_a_phone_has_no_horizontal_scroll(page):
    page.goto("/login")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
