"""The base every form in the portal derives from: Flask-WTF with WTForms' own messages
("Not a valid integer value.", …) in the request's language, loaded once per process.
WTForms ships no Indonesian: ours is portal/translations/id/LC_MESSAGES/wtforms.po.

Flask-WTF reads WTForms' catalogue from disk on every request that builds a form; with one
form per POST that parse was the largest single cost of a small request such as add-to-cart.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel import support
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path

OWN_CATALOGUES = Path(__file__).parent / "translations"


@cache
def wtforms_translations(locale: str) -> support.Translations:
    own = support.Translations.load(str(OWN_CATALOGUES), [locale], domain="wtforms")
    if isinstance(own, support.Translations):  # found one (else a NullTranslations)
        return own
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return wtforms_translations(str(get_locale() or "id"))

    def scope_ids(self, prefix: str) -> Form:
        """Give every field the id `prefix` + its name, leaving the names alone: for a page with
        several copies of one form (a checkout per warung), where a shared id would send a tap
        on one form's label to the other form's field."""
        for field in self:
            field.id = field.label.field_id = f"{prefix}{field.name}"
        return self
