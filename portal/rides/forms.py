from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import HiddenInput

from portal.forms import BoundedIntegerField, Form
from portal.maps.forms import LatitudeField, LongitudeField, PinMixin


class BookingForm(PinMixin, Form):
    """POST /rides/bookings: `package date departure pickup_address`, the pin, and a one-time token
    so a double-submitted form makes one booking. The pin (the map's or a saved address's) helps
    the driver; without one the address is booked as typed, and the driver calls the tourist. No
    geocoder guess: the booking goes straight to the card, so nobody would see it first."""

    pin_address = "pickup_address"
    pin_optional = True

    package = HiddenField(validators=[DataRequired()])
    date = HiddenField(validators=[DataRequired()])
    departure = BoundedIntegerField(widget=HiddenInput(), validators=[DataRequired()])
    pickup_address = TextAreaField(
        _l("Pick-up address (homestay or hotel)"),
        validators=[DataRequired(message=_l("Tell the driver where to pick you up.")), Length(min=5, max=300)],
    )
    latitude = LatitudeField()
    longitude = LongitudeField()
    token = HiddenField(validators=[Optional(), Length(max=64)])


class WaitlistForm(Form):
    package = HiddenField(validators=[DataRequired()])
    date = HiddenField(validators=[DataRequired()])
    departure = BoundedIntegerField(widget=HiddenInput(), validators=[DataRequired()])


class AvailabilityForm(Form):
    night = HiddenField(validators=[DataRequired()])
    available = HiddenField(validators=[DataRequired()])


class ClosureForm(Form):
    first_night = DateField(_l("First night closed"), validators=[DataRequired()])
    last_night = DateField(_l("Last night closed"), validators=[DataRequired()])
    reason_en = StringField(_l("Reason (English)"), validators=[DataRequired(), Length(max=300)])
    reason_id = StringField(_l("Reason (Indonesian)"), validators=[DataRequired(), Length(max=300)])
    confirm = BooleanField(
        _l("I understand: every booking on these nights is cancelled and refunded in full."),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )


class PackageForm(Form):
    slug = StringField(
        _l("Short name in the address"),
        validators=[
            DataRequired(),
            Length(max=60),
            Regexp(r"^[a-z0-9-]+$", message=_l("Use lower-case letters, digits and dashes only.")),
        ],
    )
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=120)])
    name_id = StringField(_l("Name (Indonesian)"), validators=[DataRequired(), Length(max=120)])
    summary_en = TextAreaField(_l("Description (English)"), validators=[Optional(), Length(max=2000)])
    summary_id = TextAreaField(_l("Description (Indonesian)"), validators=[Optional(), Length(max=2000)])
    included_en = TextAreaField(_l("Included, one per line (English)"), validators=[Optional(), Length(max=2000)])
    included_id = TextAreaField(_l("Included, one per line (Indonesian)"), validators=[Optional(), Length(max=2000)])
    languages = StringField(
        _l("Languages the drivers speak (codes, e.g. id,en,jv)"), validators=[DataRequired(), Length(max=60)]
    )
    price = BoundedIntegerField(
        _l("Price per rider (rupiah)"), validators=[DataRequired(), NumberRange(min=10000, max=10_000_000)]
    )
    departures = StringField(
        _l("Pick-up times, WIB (e.g. 00:30, 01:00, 01:30)"), validators=[DataRequired(), Length(max=200)]
    )
    return_time = StringField(
        _l("Back at the homestay about (WIB, e.g. 07:00)"), validators=[Optional(), Length(max=5)]
    )
    position = BoundedIntegerField(_l("Order in the list"), validators=[Optional()], default=0)
    active = BooleanField(_l("Offered to tourists"), default=True)
