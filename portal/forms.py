"""The base every form in the portal derives from: Flask-WTF with WTForms' own messages
("Not a valid integer value.", …) in the request's language, loaded once per process.

Flask-WTF reads WTForms' catalogue from disk on every request that builds a form; with one
form per POST that parse was the largest single cost of a small request such as add-to-cart.
"""

from __future__ import annotations

from functools import cache

from babel import support
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path


@cache
def wtforms_translations(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return wtforms_translations(str(get_locale() or "id"))
