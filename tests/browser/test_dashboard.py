"""The regency admin opens the dashboard from the admin home, switches the period with the plain
GET form, and downloads every table as CSV. Every page axe-clean."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import expect

from portal.accounts.models import Role
from portal.database import utcnow
from tests.admin import factories as f
from tests.browser.conftest import assert_accessible, login
from tests.factories import DEMO_PASSWORD, UserFactory


def test_the_admin_reads_the_dashboard_switches_the_period_and_downloads_the_csv(page, db):
    admin = UserFactory(roles=[Role.ADMIN], email="regency@example.com", locale="en")
    warung = f.warung(name="Warung Bu Sri")
    now = utcnow()
    for days in (1, 12):
        f.food_order(warung, now - timedelta(days=days), minutes=25)
        f.document_request(now - timedelta(days=days))
    db.session.commit()
    login(page, admin.email, DEMO_PASSWORD)

    page.goto("/admin")
    expect(page.get_by_role("heading", name="What waits for you")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Dashboard: figures per service").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("img", name="Requests per day").first).to_be_visible()
    food = page.locator("#food-per-day")
    expect(food.locator("tbody tr").last).to_contain_text("1")  # the last 7 days: one order
    assert_accessible(page)

    page.get_by_role("combobox", name="Period").select_option("30d")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**period=30d**")
    expect(page.locator("#food-per-day tbody tr").last).to_contain_text("2")  # both orders now
    expect(page.get_by_role("combobox", name="Period")).to_have_value("30d")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download every table (CSV)").click()
    download = download_info.value
    assert download.suggested_filename.startswith("gancang-dashboard-")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    titles = [r[0] for r in rows if len(r) == 1]
    assert "Requests per day" in titles and "Top 10 warungs by sales" in titles
    top = rows[[r[0] if r else "" for r in rows].index("Top 10 warungs by sales") + 2]
    assert top == ["Warung Bu Sri", "80000"]
