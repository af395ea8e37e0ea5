"""The layout's small pieces every template may use without importing them: `icon("bell")` (an
SVG from the sprite that scripts/icon_sprite.py builds from Lucide), `shell_count("cart")`
(portal.shell), and the macros of templates/_ui.html: `status_badge(order.state)`, the one badge
of every status in every domain, and `badge(label, tone)`. Globals, not `{% from %}` imports:
an htmx fragment (one block rendered alone) does not run its template's imports."""

from __future__ import annotations

from flask import Flask, current_app, g
from markupsafe import Markup

from portal import shell

SPRITE = "vendor/icons.svg"


def icon(name: str, label: str | None = None, *, size: int | None = None) -> Markup:
    """An icon beside words is decoration (hidden from screen readers); alone, it needs `label`."""
    if "icon_sprite" not in g:
        g.icon_sprite = current_app.jinja_env.globals["asset"](SPRITE)
    said = Markup(' role="img" aria-label="{}"').format(label) if label else Markup(' aria-hidden="true"')
    dimensions = Markup(' width="{0}" height="{0}"').format(size) if size else Markup("")
    return Markup('<svg class="icon icon-{}"{}{} focusable="false"><use href="{}#{}"/></svg>').format(
        name, said, dimensions, g.icon_sprite, name
    )


def init_app(app: Flask) -> None:
    app.add_template_global(icon)
    app.add_template_global(shell.shell_count)
    app.add_template_global(shell.badge, "shell_badge")
    macros = app.jinja_env.get_template("_ui.html").module
    app.add_template_global(macros.badge, "badge")
    app.add_template_global(macros.status_badge, "status_badge")
