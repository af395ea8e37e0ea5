"""Whole pages rendered once and shared, with the visitor's own bits filled in afterwards.

A busy page that looks the same to many visitors (a warung's menu) is rendered with
placeholders where the visitor's CSRF token goes, then kept under a key made of everything
else the page shows: the data's version (read fresh on every request), the language, and
`shell_key()`, which covers the layout (signed in or not, which menu links the roles give, the
path in the language switch). The view fills in the rest.

Rendered pages live in Flask-Caching (`portal.extensions.cache`): in the process by default
(SimpleCache), in Redis in production, so a page one web node rendered is served by all of them.
A change makes a new version, so a new key, on every node at once: nothing is ever invalidated,
old entries expire. When the shared cache does not answer (Redis down), the page is rendered.

The layout's badges (the cart's count, the unread notifications: portal.shell) are per visitor
too: a shared render holds their placeholders, and each visit fills in its own.

A kept page is a `SharedPage`: split once at every place a visitor's own bits go, so filling
them in is one join instead of a scan of the whole page per kind. Each process keeps the split
of the pages it served last (a small LRU in front of the shared cache): that is a memo of
immutable content under a versioned key, never a copy that can go stale.

Pages with flashed messages waiting are never shared (`shell_key()` answers None).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping

from flask import g, has_app_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from redis.exceptions import RedisError

from portal import shell
from portal.extensions import cache

log = logging.getLogger(__name__)

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


class SharedPage:
    """A rendered page split where each visitor's own bits go: every CSRF placeholder, and each
    element the page's `slots` pattern matches, named by the pattern's one non-empty group (an
    element id, say). `fill()` puts the visitor's token and elements in and joins the parts.

    A menu with 60 dishes has 60 "in cart" slots: a regular expression substitution over the
    page (32 KB) with a replacement function costs 70 µs even when the cart has one dish in
    it; the join costs a tenth of that."""

    __slots__ = ("_csrf", "_parts", "_shell", "_slots")

    def __init__(self, html: str, slots: re.Pattern | None = None) -> None:
        badge = re.escape(shell.SHELL_SLOT).replace(r"\{\}", "([a-z]+)")
        holes = re.compile(f"({re.escape(CSRF_SLOT)})|{badge}" + (f"|{slots.pattern}" if slots else ""))
        self._parts: list[str] = []
        self._csrf: list[int] = []  # indexes into _parts
        self._shell: list[tuple[int, str]] = []  # (index into _parts, the count's name)
        self._slots: dict[str, int] = {}
        end = 0
        for match in holes.finditer(html):
            self._parts += (html[end : match.start()], match[0])
            if match[1]:
                self._csrf.append(len(self._parts) - 1)
            elif match[2]:
                self._shell.append((len(self._parts) - 1, match[2]))
            else:
                self._slots[next(name for name in match.groups()[2:] if name)] = len(self._parts) - 1
            end = match.end()
        self._parts.append(html[end:])

    def fill(self, elements: Mapping[str, str] | None = None) -> str:
        """The page for this visitor: their CSRF token, their badges, and `elements` in place of the slots of
        those names (slots not named keep what the shared render put there)."""
        parts = self._parts.copy()
        if self._csrf:
            token = generate_csrf()
            for index in self._csrf:
                parts[index] = token
        for index, name in self._shell:
            parts[index] = shell.badge(name)
        for name, element in (elements or {}).items():
            index = self._slots.get(name)
            if index is not None:
                parts[index] = element
        return "".join(parts)

    def __str__(self) -> str:
        return "".join(self._parts)


_ALL: weakref.WeakSet[PageCache] = weakref.WeakSet()


def clear_all() -> None:
    """Forget every kept page of every PageCache (tests: emptied tables hand out the same ids
    and versions again, so a page kept under one would be the last test's)."""
    for pages in list(_ALL):
        pages.clear()


class PageCache:
    """Shared pages by key in the app's cache, under `name`; this process keeps the split of
    the last `size` it served. `slots` is the pattern of the elements a view fills in per
    visitor (see `SharedPage`)."""

    def __init__(self, name: str, size: int = 256, *, slots: str | None = None, timeout: int | None = None) -> None:
        self.name = name
        self.size = size
        self.timeout = timeout  # seconds in the shared cache; None: the app's CACHE_DEFAULT_TIMEOUT
        self.slots = re.compile(slots) if slots else None
        self._pages: OrderedDict[Hashable, SharedPage] = OrderedDict()
        self._lock = threading.Lock()
        _ALL.add(self)

    def page(self, key: Hashable | None, render: Callable[[], str]) -> SharedPage:
        """The page for `key`, ready to fill in, rendering it on a miss. A None key renders for
        this visitor only: its token is already in it; its slots are still there to fill."""
        if key is None:
            return SharedPage(render(), self.slots)
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
                return page
        shared_key = f"{self.name}:{hashlib.sha256(repr(key).encode()).hexdigest()[:32]}"
        html = self._shared("get", shared_key)
        if html is None:
            g.shared_render = True
            try:
                html = render()
            finally:
                g.shared_render = False
            self._shared("set", shared_key, html, self.timeout)
        page = SharedPage(html, self.slots)
        with self._lock:
            self._pages[key] = page
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)
        return page

    @staticmethod
    def _shared(verb: str, *args):
        """The shared cache's answer, or None when it does not answer: a page is then rendered
        here, which is slower, never wrong."""
        try:
            return getattr(cache, verb)(*args)
        except (RedisError, OSError) as error:
            log.warning("page cache unavailable (%s): rendering", type(error).__name__)
            return None

    def clear(self) -> None:
        """Forget every page, in this process and in the shared cache (tests)."""
        with self._lock:
            self._pages.clear()
        if has_app_context():
            self._shared("clear")
