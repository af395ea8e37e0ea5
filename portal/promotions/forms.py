"""The tourism office's forms (both languages side by side) and the owner's one-tap buttons."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from portal.formatting import WIB
from portal.forms import Form

SLUG = Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", message=_l("Only small letters, digits and dashes, e.g. pesta-kuliner."))


def wib_to_utc(moment: datetime | None) -> datetime | None:
    """A time typed in WIB (datetime-local has no zone) as the UTC moment it means."""
    return moment.replace(tzinfo=WIB).astimezone(UTC) if moment is not None else None


class FestivalForm(Form):
    name_id = StringField(_l("Name (Indonesian)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=120)])
    description_id = TextAreaField(_l("Description (Indonesian)"), validators=[Optional(), Length(max=2000)])
    description_en = TextAreaField(_l("Description (English)"), validators=[Optional(), Length(max=2000)])
    starts_at = DateTimeLocalField(_l("Starts (WIB)"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Ends (WIB)"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    slug = StringField(_l("Web address (optional)"), validators=[Optional(), Length(max=60), SLUG])
    cover = FileField(_l("Cover photo (JPEG, PNG or WebP, at most 5 MB)"))

    def validate_ends_at(self, field) -> None:
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The festival must end after it starts."))


class CollectionForm(Form):
    title_id = StringField(_l("Title (Indonesian)"), validators=[DataRequired(), Length(max=120)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=120)])
    description_id = TextAreaField(_l("Description (Indonesian)"), validators=[Optional(), Length(max=2000)])
    description_en = TextAreaField(_l("Description (English)"), validators=[Optional(), Length(max=2000)])
    starts_on = DateField(_l("First day"), validators=[DataRequired()])
    ends_on = DateField(_l("Last day"), validators=[DataRequired()])
    slug = StringField(_l("Web address (optional)"), validators=[Optional(), Length(max=60), SLUG])
    cover = FileField(_l("Cover photo (JPEG, PNG or WebP, at most 5 MB)"))

    def validate_ends_on(self, field) -> None:
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The last day cannot come before the first day."))


class AddWarungForm(Form):
    warung_id = SelectField(_l("Warung"), coerce=int, validate_choice=True)


class RejectEntryForm(Form):
    reason = StringField(
        _l("Reason"), validators=[DataRequired(_l("Say why, so the owner understands.")), Length(max=300)]
    )
