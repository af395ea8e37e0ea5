"""Build static/vendor/icons.svg: the few Lucide icons the portal shows, as one SVG sprite.

Lucide comes from the npm registry (lucide-static, pinned by package-lock.json). Only the icons
named in ICONS are shipped, each as a <symbol> that `icon("name")` (portal/ui.py) points at with
<use href="…icons.svg#name">: one file, cached for a year, a few hundred bytes compressed.
Standard library only, so `make assets` runs it before the virtualenv exists.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "node_modules" / "lucide-static"
TARGET = ROOT / "static" / "vendor" / "icons.svg"

# Every icon a template or portal/ may name (tests/core/test_ui.py checks the two agree).
ICONS = (
    "arrow-right",
    "bell",
    "bike",
    "circle-check",
    "circle-x",
    "clock",
    "house",
    "id-card",
    "log-out",
    "map-pin",
    "mountain",
    "navigation",
    "package",
    "party-popper",
    "pill",
    "receipt",
    "rotate-ccw",
    "search",
    "shopping-cart",
    "star",
    "user",
    "x",
    "utensils",
)

# Lucide draws with strokes; `.icon` in static/css/app.css sets them (fill none, stroke
# currentColor, width 2, round caps) and the <use> passes them down, so no symbol repeats them.
ATTRIBUTES = 'viewBox="0 0 24 24"'


def symbol(name: str) -> str:
    svg = (SOURCE / "icons" / f"{name}.svg").read_text(encoding="utf-8")
    body = re.search(r"<svg[^>]*>(.*)</svg>", svg, re.S)
    if body is None:
        raise SystemExit(f"lucide-static: {name}.svg has no <svg> element")
    shapes = "".join(line.strip().replace(" />", "/>") for line in body[1].strip().splitlines())
    return f'<symbol id="{name}" {ATTRIBUTES}>{shapes}</symbol>'


def build() -> str:
    version = json.loads((SOURCE / "package.json").read_text(encoding="utf-8"))["version"]
    symbols = "\n".join(symbol(name) for name in ICONS)
    return (
        f"<!-- Lucide icons (lucide-static {version}), ISC License: https://lucide.dev/license -->\n"
        f'<svg xmlns="http://www.w3.org/2000/svg">\n{symbols}\n</svg>\n'
    )


if __name__ == "__main__":
    if not SOURCE.is_dir():
        sys.exit("node_modules/lucide-static is missing: run `make assets` (npm ci) first")
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(build(), encoding="utf-8")
    print(f"{TARGET.relative_to(ROOT)}: {len(ICONS)} icons, {TARGET.stat().st_size} bytes")
