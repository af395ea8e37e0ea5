"""Whole pages rendered once and shared, with the visitor's own bits filled in afterwards.

A busy page that looks the same to many visitors (a warung's menu) is rendered with
placeholders where the visitor's CSRF token goes, then kept in this process under a key
made of everything else the page shows: the data's version (read fresh on every request),
the language, and `shell_key()`, which covers the layout (signed in or not, which menu
links the roles give, the path in the language switch). The view fills in the rest.

Nothing is ever invalidated: a change makes a new key, the old entry ages out (LRU). Pages
with flashed messages waiting are never shared (`shell_key()` answers None).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import g, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

CSRF_SLOT = "__CSRF_TOKEN__"


def csrf_token_value() -> str:
    """The template global: the visitor's token, or its placeholder inside a shared render."""
    return CSRF_SLOT if g.get("shared_render") else generate_csrf()


def shell_key() -> tuple | None:
    """What base.html shows that differs between visitors (the CSRF token aside), or None when
    this response must not come from, or go into, the cache."""
    if request.method != "GET" or session.get("_flashes"):
        return None  # HEAD renders with other links (the language switch); messages are personal
    roles = tuple(role.value for role in current_user.role_names) if current_user.is_authenticated else None
    return (str(get_locale()), roles, request.full_path)


class PageCache:
    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._pages: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()

    def page(self, key: Hashable | None, render: Callable[[], str]) -> str:
        """The page for `key` with its placeholders in place, rendering it on a miss.
        A None key renders for this visitor only (and fills nothing in)."""
        if key is None:
            return render()
        with self._lock:
            html = self._pages.get(key)
            if html is not None:
                self._pages.move_to_end(key)
                return html
        g.shared_render = True
        try:
            html = render()
        finally:
            g.shared_render = False
        with self._lock:
            self._pages[key] = html
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)
        return html

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


def fill_csrf(html: str) -> str:
    return html.replace(CSRF_SLOT, generate_csrf()) if CSRF_SLOT in html else html
