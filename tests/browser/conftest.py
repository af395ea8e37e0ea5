"""Browser tests: Playwright driving Debian's Chromium against the app on a loopback port.

Outside CI they skip (with the reason printed) when no Chromium is installed; with CI=true they
must run, so a missing browser fails the build instead of silently passing it.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}

# Assertions wait as long as actions do (the contexts' 10 s): CI runs the browser tests beside
# the other workers on two cores, where a swap can take longer than expect()'s default 5 s.
expect.set_options(timeout=10_000)


def chromium_path() -> str | None:
    path = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    return path if os.path.exists(path) else shutil.which("chromium")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        reason = "no Chromium found (apt-get install -y chromium, or set CHROMIUM_PATH)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class LiveServer:
    def __init__(self, app) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    app.config["PUBLIC_URL"] = "http://127.0.0.1"
    with LiveServer(app) as server:
        yield server


def watch_errors(page, *, console: bool = True, allowed=lambda response: False) -> list[str]:
    """Collect what the browser reports as broken: a script error, a console error and a failed
    subresource or fragment. A page may answer 404/422 on purpose, and a fragment 422 (a refusal
    that says why, which htmx shows); a script, style or fragment that fails may not."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    if console:
        page.on(
            "console",
            lambda msg: (
                errors.append(msg.text)
                if msg.type == "error" and not msg.text.startswith("Failed to load resource")
                else None
            ),
        )
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if (r.status >= 500 or (r.status >= 400 and r.status != 422 and r.request.resource_type != "document"))
            and not allowed(r)
            else None
        ),
    )
    return errors


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, locale="en-US", timezone_id="Asia/Makassar")
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = watch_errors(page)
    yield page
    context.close()
    assert not errors, f"browser errors: {errors}"


def assert_accessible(page) -> None:
    """axe-core: zero serious or critical violations on the page as it stands."""

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    details = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}" for v in bad
    )
    assert not bad, f"accessibility violations on {page.url}:\n{details}"


def login(page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("main").locator("form button[type=submit]").click()
    page.wait_for_load_state()


def pay_by_card(page, amount: str, number: str = "4242424242424242") -> None:
    """Type a card into the localstripe card element and press "Pay <amount>" (e.g. "Rp37.500")."""
    card = page.locator("#card-element")
    card.locator("input[placeholder=number]").fill(number)
    card.locator("input[placeholder=exp_month]").fill("12")
    card.locator("input[placeholder=exp_year]").fill("31")
    card.locator("input[placeholder=cvc]").fill("123")
    card.locator("input[placeholder=postal_code]").fill("68411")
    page.get_by_role("button", name=f"Pay {amount}", exact=True).click()


def settle(page) -> None:
    """Let the map finish its zoom or pan animation before the pointer aims at the pin."""
    page.wait_for_function(
        "() => !document.querySelector('.leaflet-zoom-anim, .leaflet-pan-anim')"
        " && !document.querySelector('.leaflet-map-pane[style*=transition]')"
    )
    page.wait_for_timeout(350)
