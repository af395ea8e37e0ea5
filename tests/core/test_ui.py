"""The visual identity's rules: every status badge's colour says what it means, every icon comes
from the sprite that Lucide builds, and no template shows an emoji."""

from __future__ import annotations

import re
from pathlib import Path

from portal.couriers.contract import DeliveryStatus
from portal.documents.models import DocumentStatus
from portal.food.models import OrderStatus
from portal.medicine.models import MedicineStatus
from portal.navigation import SERVICES
from portal.payments.models import PaymentStatus
from portal.rides.models import BookingStatus
from portal.workflow import _FLOWS
from scripts.icon_sprite import ICONS, SOURCE, build

ROOT = Path(__file__).resolve().parents[2]
TONES = {"done", "stopped", "refunded", "waiting", "moving", "neutral"}


def test_delivered_cancelled_and_refunded_badges_say_different_things():
    assert OrderStatus.DELIVERED.tone == "done"
    assert OrderStatus.CANCELLED.tone == "stopped"
    assert PaymentStatus.REFUNDED.tone == "refunded"
    assert PaymentStatus.PARTIALLY_REFUNDED.tone == "refunded"
    assert OrderStatus.PLACED.tone == "waiting"
    assert OrderStatus.ACCEPTED.tone == "moving"
    assert BookingStatus.COMPLETED.tone == "done" and BookingStatus.ROUTE_CLOSED.tone == "stopped"
    assert DocumentStatus.WITH_COURIER.tone == "moving" and DocumentStatus.REJECTED.tone == "stopped"
    assert MedicineStatus.ON_HOLD.tone == "waiting" and DeliveryStatus.NO_DRIVER.tone == "stopped"


def test_every_status_of_every_domain_has_a_tone_the_stylesheet_colours():
    css = (ROOT / "static/css/app.css").read_text()
    for statuses in _FLOWS:
        for status in statuses:
            assert status.tone in TONES, (statuses.__name__, status)
    for tone in TONES:
        assert f".badge.tone-{tone}" in css


def test_the_badge_macro_renders_the_tone_the_value_and_the_label(app):
    with app.test_request_context():
        html = str(app.jinja_env.globals["status_badge"](PaymentStatus.REFUNDED, id="paid"))
    assert 'class="badge tone-refunded"' in html and 'data-status="refunded"' in html and 'id="paid"' in html


def _icon_names() -> set[str]:
    names = set()
    for path in [*ROOT.joinpath("templates").rglob("*.html"), *ROOT.joinpath("portal").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        names.update(re.findall(r"""\bicon\(\s*["']([a-z0-9-]+)["']""", text))
    names.update(service.icon for service in SERVICES)
    return names


def test_every_icon_a_page_names_is_in_the_sprite():
    used = _icon_names()
    assert {"house", "receipt", "shopping-cart", "user", "bell"} <= used
    assert used <= set(ICONS), f"add to scripts/icon_sprite.py ICONS: {sorted(used - set(ICONS))}"


def test_the_sprite_holds_only_the_listed_icons_from_lucide():
    if not SOURCE.is_dir():
        return  # node_modules not installed here: `make assets` builds the sprite
    sprite = build()
    assert sorted(re.findall(r'<symbol id="([a-z0-9-]+)"', sprite)) == sorted(ICONS)
    assert "ISC License" in sprite


# Emoji and pictographs (they render as boxes on phones without the font), and the dingbat
# stars and ticks used as icons. Arrows and the middle dot stay: every font has them.
EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b50\u2b55\ufe0f]")


def test_no_template_or_label_shows_an_emoji():
    found = []
    for path in [*ROOT.joinpath("templates").rglob("*.html"), ROOT / "portal/navigation.py"]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if EMOJI.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert not found, "\n".join(found)
