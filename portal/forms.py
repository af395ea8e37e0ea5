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
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.i18n import messages_path
from wtforms.utils import unset_value
from wtforms.validators import StopValidation

OWN_CATALOGUES = Path(__file__).parent / "translations"

# What an INTEGER column holds on PostgreSQL (SQLite holds more): every id and count we store.
# A larger number reached the database driver and came back as OverflowError, a 500.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


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


class BoundedIntegerField(IntegerField):
    """THE integer field: every whole number a form reads (ids, quantities, prices, stars).

    A number beyond what the column holds never reaches `.data` (it is None, with a message, and
    the form is invalid: 422), so no query sees it; a subclass may parse its own way
    (`process_formdata`), the bound still holds. For a hidden id: `widget=HiddenInput()`.
    """

    def __init__(self, *args, min: int = INT_MIN, max: int = INT_MAX, **kwargs) -> None:
        self.min, self.max = min, max
        self.out_of_range = False
        super().__init__(*args, **kwargs)

    def process(self, formdata, data=unset_value, extra_filters=None) -> None:
        super().process(formdata, data, extra_filters)
        self.out_of_range = isinstance(self.data, int) and not self.min <= self.data <= self.max
        if self.out_of_range:
            self.data = None
            self.process_errors.append(_l("Enter a number between %(min)s and %(max)s.", min=self.min, max=self.max))

    def pre_validate(self, form) -> None:
        if self.out_of_range:  # one clear message, not "This field is required." besides
            raise StopValidation()
