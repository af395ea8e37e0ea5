from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import HiddenInput, TextInput

from portal.accounts.forms import PhoneField
from portal.food.models import MAX_QUANTITY, PRICE_CAP
from portal.food.services import FoodError, parse_periods
from portal.forms import BoundedIntegerField, Form
from portal.maps.forms import LatitudeField, LongitudeField, PinForField

WEEKDAYS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)


class WarungForm(Form):
    name = StringField(_l("Warung name"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("Description (Indonesian)"), validators=[Optional(), Length(max=1000)])
    description_en = TextAreaField(_l("Description in English (optional)"), validators=[Optional(), Length(max=1000)])
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=300)])
    latitude = LatitudeField()
    longitude = LongitudeField()
    pin_for = PinForField()
    phone = PhoneField(_l("Warung phone (WhatsApp)"), validators=[DataRequired()])
    photo = FileField(_l("Photo (JPEG, PNG or WebP, at most 5 MB)"))
    hours_0 = StringField(WEEKDAYS[0], validators=[Length(max=120)])
    hours_1 = StringField(WEEKDAYS[1], validators=[Length(max=120)])
    hours_2 = StringField(WEEKDAYS[2], validators=[Length(max=120)])
    hours_3 = StringField(WEEKDAYS[3], validators=[Length(max=120)])
    hours_4 = StringField(WEEKDAYS[4], validators=[Length(max=120)])
    hours_5 = StringField(WEEKDAYS[5], validators=[Length(max=120)])
    hours_6 = StringField(WEEKDAYS[6], validators=[Length(max=120)])

    def hours_fields(self):
        return [getattr(self, f"hours_{day}") for day in range(7)]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        self.periods = {}
        for day, hours in enumerate(self.hours_fields()):
            try:
                self.periods[day] = parse_periods(hours.data or "")
            except FoodError as error:
                hours.errors = [*hours.errors, str(error)]
                ok = False
        return ok


_RUPIAH = re.compile(r"(?:rp\.?)?\s*(-?(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+))(?:,-|,00)?", re.IGNORECASE)


class RupiahField(BoundedIntegerField):
    """Whole rupiah as an owner writes them: 15000, 15.000, Rp 15.000 or Rp15.000,-. A text
    field (a number field refuses "Rp" and reads 15.000 as fifteen), with the number keypad."""

    widget = TextInput()

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "autocomplete": "off"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist) -> None:
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            self.data = None
            return
        match = _RUPIAH.fullmatch(text)
        if match is None:
            self.data = None
            raise ValueError(_l("Write the price in whole rupiah, e.g. 15000 or 15.000."))
        self.data = int(match[1].replace(".", ""))

    def pre_validate(self, form) -> None:
        if self.process_errors:  # one clear message, not "too low" and "too high" besides
            raise StopValidation()
        super().pre_validate(form)


class DishForm(Form):
    name = StringField(_l("Name (Indonesian)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name in English (optional)"), validators=[Optional(), Length(max=120)])
    description = TextAreaField(_l("Description (Indonesian)"), validators=[Optional(), Length(max=500)])
    description_en = TextAreaField(_l("Description in English (optional)"), validators=[Optional(), Length(max=500)])
    price = RupiahField(
        _l("Price (rupiah)"),
        validators=[
            InputRequired(_l("Enter the price in rupiah, e.g. 15000.")),
            NumberRange(min=1, message=_l("The price must be more than Rp0.")),
            NumberRange(max=PRICE_CAP, message=_l("The price looks too high: at most Rp5.000.000.")),
        ],
    )
    category = StringField(_l("Category (e.g. Nasi, Minuman)"), validators=[Optional(), Length(max=60)])
    category_en = StringField(
        _l("Category in English (optional, e.g. Rice, Drinks)"), validators=[Optional(), Length(max=60)]
    )
    photo = FileField(_l("Photo (JPEG, PNG or WebP, at most 5 MB)"))


class RejectForm(Form):
    reason = StringField(
        _l("Reason for the customer"), validators=[DataRequired(_l("Tell the customer why.")), Length(max=300)]
    )


class HandoverForm(Form):
    """The owner's "received Rp… from this courier"."""

    courier_id = BoundedIntegerField(widget=HiddenInput(), validators=[InputRequired()])
    amount = BoundedIntegerField(
        _l("Amount received (Rp)"),
        min=1,
        validators=[InputRequired(_l("Enter the amount you received, in whole rupiah."))],
    )


class QuantityField(BoundedIntegerField):
    """Whole numbers only, with our own words for anything else ("dua", "1.5")."""

    def process_formdata(self, valuelist) -> None:
        if not valuelist or valuelist[0] in ("", None):
            self.data = None
            return
        try:
            self.data = int(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(_l("Enter a quantity as a whole number, e.g. 2.")) from None


class AddToCartForm(Form):
    class Meta(Form.Meta):
        # CSRFProtect checks every POST's token before any view runs (tests/food: "without a
        # token"); this form, the busiest, need not sign a new token and check it a second time.
        csrf = False

    dish_id = BoundedIntegerField(validators=[InputRequired()])
    # Left out by the menu's "+ Add" buttons: one more.
    quantity = QuantityField(
        _l("Quantity"),
        default=1,
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_QUANTITY, message=_l("Choose between 1 and %(max)s.", max=MAX_QUANTITY)),
        ],
    )


class CartQuantityForm(Form):
    quantity = QuantityField(
        _l("Quantity"),
        validators=[
            InputRequired(_l("Enter a quantity.")),
            NumberRange(min=0, max=MAX_QUANTITY, message=_l("Choose between 0 and %(max)s.", max=MAX_QUANTITY)),
        ],
    )


class CheckoutForm(Form):
    warung_id = BoundedIntegerField(widget=HiddenInput(), validators=[DataRequired()])
    token = HiddenField()
    expected_total = HiddenField()
    address = StringField(_l("Homestay or hotel name and address"), validators=[DataRequired(), Length(max=300)])
    latitude = LatitudeField()
    longitude = LongitudeField()
    pin_for = PinForField()
    note = StringField(_l("Note for the driver (optional)"), validators=[Optional(), Length(max=300)])
    voucher_code = StringField(
        _l("Voucher code (optional)"),
        validators=[Optional(), Length(max=40, message=_l("A voucher code has at most 40 letters."))],
    )
    save_as = StringField(
        _l("Save this address as (optional)"),
        validators=[Optional(), Length(max=40)],
        render_kw={"placeholder": _l("e.g. Homestay, Rumah"), "autocomplete": "off"},
    )
    payment_method = RadioField(
        _l("Payment"),
        choices=lambda: [SelectChoice("card", _l("Card (pay now)")), SelectChoice("cash", _l("Cash to the courier"))],
        default="card",
        validators=[DataRequired(_l("Choose card or cash."))],
    )

    def validate_warung_id(self, field) -> None:
        if not str(field.data or "").isdigit():
            raise ValidationError(_l("Choose a cart."))


class RatingForm(Form):
    warung_stars = RadioField(
        _l("The food"),
        choices=[SelectChoice(str(n), str(n)) for n in range(5, 0, -1)],
        validators=[DataRequired(_l("Choose 1 to 5 stars."))],
    )
    courier_stars = RadioField(
        _l("The courier"), choices=[SelectChoice(str(n), str(n)) for n in range(5, 0, -1)], validators=[Optional()]
    )
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=500)])


class ClosedTodayForm(Form):
    closed = BooleanField(_l("Closed today"))


class AdminRejectForm(Form):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])
