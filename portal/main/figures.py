"""`/figures`: the regency's public numbers, for anyone, without logging in. HTTP-cached: the
ETag is the figures themselves (and the page's language and header), so an unchanged page is a
304 without rendering."""

from __future__ import annotations

import hashlib

from flask_babel import get_locale
from flask_login import current_user

from portal.admin.dashboard.figures import figures_page, public_figures
from portal.htmx import not_modified, render
from portal.main import bp

MAX_AGE = 300  # seconds: the figures are by month; five minutes old is fresh enough


@bp.get("/figures")
def figures():
    data = public_figures()
    viewer = tuple(r.value for r in current_user.role_names) if current_user.is_authenticated else None
    etag = hashlib.sha256(repr((data.etag, str(get_locale()), viewer)).encode()).hexdigest()[:24]
    if (cached := not_modified(etag)) is not None:
        _cache_headers(cached, viewer)
        return cached
    chart, table = figures_page(data)
    response = render(
        "main/figures.html",
        chart=chart,
        table=table,
        active_warungs=data.active_warungs,
        local_drivers=data.local_drivers,
    )
    response.set_etag(etag)
    _cache_headers(response, viewer)
    return response


def _cache_headers(response, viewer) -> None:
    response.cache_control.max_age = MAX_AGE
    if viewer is None:
        response.cache_control.public = True
    else:
        response.cache_control.private = True
    response.vary.add("Cookie")
    response.vary.add("Accept-Language")
