"""The README's screenshots: the main pages on a 390 px phone, in English then Indonesian, from
`make run`'s demo data. Start `make run` first, then:

    .venv/bin/python scripts/screenshots.py [http://127.0.0.1:5000]

Each page is opened as the demo user who would use it, and saved as
docs/screenshots/<name>-<en|id>.png (the first screen, as a phone shows it)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "gancang-demo"  # noqa: S105 - the documented demo password (portal/accounts/demo.py)
PHONE = {"width": 390, "height": 844}

# (file name, demo user, page or a function of the signed-in page that finds it)
PAGES = [
    ("home", "tourist@example.com", lambda page: _with_a_dish_in_the_cart(page, "/")),
    ("warungs", "tourist@example.com", "/warungs"),
    ("menu", "tourist@example.com", "/warungs/sego-tempong-bu-sri"),
    ("cart", "tourist@example.com", "/cart"),
    ("order", "tourist@example.com", lambda page: _an_order(page)),
    ("rides", "tourist@example.com", "/rides"),
    ("documents", "resident@example.com", "/documents"),
    ("medicine", "pharmacist@example.com", "/rsud/deliveries"),
    ("courier", "driver@example.com", "/courier"),
    ("dashboard", "admin@example.com", "/admin/dashboard"),
]


def _with_a_dish_in_the_cart(page: Page, then: str) -> str:
    """Fresh demo data has empty carts: the tourist adds two dishes from the menu first."""
    page.goto("/warungs/sego-tempong-bu-sri")
    if page.locator("#cart-bar a").count() == 0:
        for _ in range(2):
            with page.expect_response(lambda r: "/cart/items" in r.url):
                page.locator("form.menu-form button[name=dish_id]").first.click()
    return then


def _an_order(page: Page) -> str | None:
    """The tourist's latest order; on fresh demo data, placed first from their cart (cash, to the
    demo homestay), as they would place it. None while the warung is closed."""
    page.goto("/my/activity")
    for href in page.locator("a[href]").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        if re.fullmatch(r"/orders/\d+", href or ""):
            return href
    page.goto("/cart?place=0")
    if page.locator("form.checkout input[name=payment_method]").count() == 0:
        return None  # an empty cart, or the warung closed
    form = page.locator("form.checkout").first
    form.locator("input[name=payment_method][value=cash]").check()
    form.locator("button[type=submit]").last.click()  # see the total with delivery
    page.wait_for_load_state()
    if page.locator("button[name=place]").count() == 0:
        return None
    page.locator("button[name=place]").click()
    page.wait_for_url(re.compile(r"/orders/\d+$"))
    return page.url


def main(base: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
        for name, email, where in PAGES:
            for lang in ("en", "id"):
                context = browser.new_context(base_url=base, viewport=PHONE, locale=lang)
                context.add_cookies([{"name": "lang", "value": lang, "url": base}])
                page = context.new_page()
                page.goto("/login")
                page.locator("input[type=email]").fill(email)
                page.locator("input[type=password]").fill(PASSWORD)
                page.locator("main form button[type=submit]").click()
                page.wait_for_load_state()
                path = where(page) if callable(where) else where
                if path is None:
                    print(f"{name}-{lang}.png  skipped: the warung is closed now; run again in its hours")
                    context.close()
                    continue
                page.goto(path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / f"{name}-{lang}.png"))
                print(f"{name}-{lang}.png  {page.url}")
                context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000")
