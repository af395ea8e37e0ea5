"""What the layout shows each signed-in visitor about themselves: how many items their carts
hold (the Cart tab) and how many notifications they have not read (the bell).

A domain registers a count: a function that takes the user id (a bind parameter) and returns
a scalar subquery. The layout reads every count in ONE query, the first time a page asks for
one (`shell_count("cart")`), and keeps it for the rest of the request. The layout imports no
domain, so a page costs the same one query whatever the domains count.

A page shared between visitors (portal.pagecache) holds a placeholder instead of the badge;
the visitor's own badge is filled in when the page is served.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import g, request
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import Integer, ScalarSelect, bindparam, select

from portal.extensions import db

SHELL_SLOT = "__SHELL_{}__"
_SLOT_MARKUP = Markup("__SHELL_{}__")

Count = Callable[[object], ScalarSelect]
_counts: dict[str, Count] = {}


def register_count(name: str, subquery: Count) -> None:
    """`subquery(user_id)`: a scalar subquery of that user's count (user_id is a bind parameter)."""
    _counts[name] = subquery


def counts(*, on_writes: bool = False) -> dict[str, int]:
    """This visitor's counts, read once per request (nothing at all for a visitor not signed in).

    Not read for a page that answers a POST (a refusal, a form with errors) unless `on_writes`:
    on SQLite every transaction of a POST takes the write lock, and 200 tourists racing for the
    last Ijen seat must not queue for it twice to learn their cart's count. Such a page shows
    no badges; the next page does."""
    if "shell_counts" not in g:
        if not current_user.is_authenticated or not _counts:
            g.shell_counts = {}
        elif request.method != "GET" and not on_writes:
            return {}
        else:
            user_id = bindparam("shell_user_id", current_user.id, type_=Integer)
            row = db.session.execute(
                select(*(subquery(user_id).label(name) for name, subquery in _counts.items()))
            ).one()
            g.shell_counts = {name: int(value or 0) for name, value in row._mapping.items()}
    return g.shell_counts


def columns(user_id) -> list:
    """Every count as a labelled column, for a page that reads its own row anyway (a cached menu):
    add them to that query and pass its row to `remember()`, and the layout costs no query."""
    return [subquery(user_id).label(f"shell_{name}") for name, subquery in _counts.items()]


def remember(row) -> None:
    """The counts from a row that carried `columns()`."""
    values = row._mapping
    g.shell_counts = {name: int(values[f"shell_{name}"] or 0) for name in _counts}


def forget() -> None:
    """After a change this request made (an add to the cart), read the counts again when asked."""
    g.pop("shell_counts", None)


LABELS = {
    "cart": lambda n: ngettext("%(num)s item", "%(num)s items", n),
    "unread": lambda n: ngettext("%(num)s unread", "%(num)s unread", n),
}


def badge(name: str, *, oob: bool = False) -> Markup:
    """The count's badge (`<span id="count-cart">`), empty and hidden at zero so an htmx answer
    can always swap it (`oob`: a fragment answering a change, which reads the count even for a
    POST)."""
    n = counts(on_writes=oob).get(name, 0)
    swap = Markup(' hx-swap-oob="true"') if oob else Markup("")
    if not n:
        return Markup('<span id="count-{}" class="count" hidden{}></span>').format(name, swap)
    shown = "99+" if n > 99 else str(n)
    said = LABELS[name](n) if name in LABELS else str(n)
    return Markup(
        '<span id="count-{}" class="count"{}><span aria-hidden="true">{}</span>'
        '<span class="visually-hidden">({})</span></span>'
    ).format(name, swap, shown, escape(said))


def shell_count(name: str) -> Markup:
    """The template global: the badge, or its placeholder inside a page rendered to be shared."""
    if g.get("shared_render"):
        return _SLOT_MARKUP.format(name)
    return badge(name)
