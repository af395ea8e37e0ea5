"""Which language a request speaks: the user's choice, else this browser's, else Indonesian."""

from __future__ import annotations

from functools import cache

from babel import Locale
from babel.support import NullTranslations
from flask import Flask, Response, current_app, g, has_app_context, has_request_context, request
from flask_babel import get_translations
from flask_login import current_user

LANG_COOKIE = "lang"


def select_locale() -> str:
    if not has_request_context():
        # Jobs, the shell, CLI: the default, unless the code chose one with force_locale().
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return choose_locale(current_user.locale if current_user and current_user.is_authenticated else None)


def choose_locale(user_locale: str | None) -> str:
    """The signed-in user's language (`user_locale`), else this browser's cookie, else the default."""
    languages = current_app.config["LANGUAGES"]
    if user_locale in languages:
        return user_locale
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in languages:
        return cookie
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@cache
def babel_locale(code: str) -> Locale:
    """`code` parsed once, for `force_locale` in hot paths: Babel's parse looks for the locale's
    data file on disk every time."""
    return Locale.parse(code)


def translations() -> NullTranslations:
    """Flask-Babel's `get_translations()`, remembered for the request: it answers every `_()`
    in a template, and Flask-Babel's own lookup walks the context proxies about nine times per
    call (8 µs; a menu page makes dozens). Kept beside the locale and domain Flask-Babel chose,
    so `force_locale()` and `refresh()`, which replace or drop those, are still obeyed."""
    state = _babel_state()
    kept = getattr(state, "portal_translations", None)
    if kept is not None and kept[:2] == (getattr(state, "babel_locale", None), getattr(state, "babel_domain", None)):
        return kept[2]
    found = get_translations()  # which also records the locale and domain in the state
    state = _babel_state()
    if getattr(state, "babel_locale", None) is not None:
        state.portal_translations = (state.babel_locale, getattr(state, "babel_domain", None), found)
    return found


def _babel_state():
    """Where Flask-Babel keeps the request's locale, domain and translations (None outside an
    app context)."""
    return g.get("_flask_babel") if has_app_context() else None


def install_template_gettext(app: Flask) -> None:
    """Templates' `_`, `gettext`, `ngettext`… through `translations()`: the ones Flask-Babel
    installs are the same but call its `get_translations()` each time."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: translations().ugettext(string),
        ngettext=lambda singular, plural, n: translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: translations().unpgettext(context, singular, plural, n),
        newstyle=True,
    )


def remember_language(response: Response, lang: str) -> None:
    response.set_cookie(
        LANG_COOKIE,
        lang,
        max_age=60 * 60 * 24 * 365,
        samesite="Lax",
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )


def translation_directories(app: Flask) -> str:
    """Each domain keeps its own catalogue (portal/<domain>/translations); Flask-Babel merges them."""
    from pathlib import Path

    root = Path(app.root_path)
    dirs = [root / "translations", *sorted(p for p in root.glob("*/translations") if p.is_dir())]
    return ";".join(str(d) for d in dirs)
