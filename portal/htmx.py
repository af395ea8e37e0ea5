"""Full page or fragment, decided in one place.

A request that htmx makes (HX-Request set), that is not boosted navigation and not a history
restore, gets only the named block of the page template; everyone else gets the whole page,
which includes that same block. So one URL, one template, and every page works without JS.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, make_response, render_template, request
from jinja2_fragments.flask import render_block
from werkzeug.http import quote_etag

from portal.extensions import htmx


def wants_fragment() -> bool:
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_body(template: str, block: str | None = None, **context: Any) -> str:
    """The HTML `render()` sends: the page, or just its `block` for an htmx request. For a view
    that keeps what it rendered (portal.pagecache); its key must then include wants_fragment()."""
    if block is not None and wants_fragment():
        return render_block(template, block, **context)
    return render_template(template, **context)


def render(template: str, block: str | None = None, *, status: int = 200, **context: Any) -> Response:
    """Render `template`, or just its `block` for an htmx request; always `Vary: HX-Request`.

    `status` is the HTTP status and nothing else: a page's own `status` (a filter, an order's
    state) passed here by mistake became the status line `HTTP/1.1 0 pending`, which proxies
    turn into a 502. So anything but an int is refused.
    """
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise TypeError(f"render() status must be an HTTP status code (int), not {status!r}")
    response = make_response(render_body(template, block, **context), status)
    response.vary.add("HX-Request")
    return response


def not_modified(etag: str) -> Response | None:
    """For polling: a 304 (no body, no template) when the client already has this state.

    Compute `etag` from cheap columns (status, updated_at) before loading or rendering anything.
    """
    if etag not in request.if_none_match:
        return None
    # Built directly: the cheapest answer the app gives, for its most frequent request.
    return current_app.response_class(status=304, headers={"ETag": quote_etag(etag), "Vary": "HX-Request"})


def with_etag(response: Response, etag: str) -> Response:
    response.set_etag(etag)
    response.cache_control.no_cache = True  # revalidate every poll; 304 when unchanged
    return response
