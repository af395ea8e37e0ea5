"""Which language a request speaks: the user's choice, else this browser's, else Indonesian."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, current_app, has_request_context, request
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
    root = Path(app.root_path)
    dirs = [root / "translations", *sorted(p for p in root.glob("*/translations") if p.is_dir())]
    return ";".join(str(d) for d in dirs)


def in_language(locale: str, indonesian: str, english: str) -> str:
    """Text an owner may write in Indonesian, English or both, read in `locale`: that language's
    text, else the other one (an English-only description beats an empty line on the Indonesian
    page, and the other way round)."""
    first, other = (english, indonesian) if locale == "en" else (indonesian, english)
    return first or other or ""
