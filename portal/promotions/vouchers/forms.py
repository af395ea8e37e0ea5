"""The office's voucher form. Rupiah and counts are whole numbers; hours are WIB, HH:MM."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from portal.forms import BoundedIntegerField, Form
from portal.promotions.vouchers.models import KIND_LABELS, DiscountKind

RUPIAH = {"min": 0, "max": 2_000_000_000}


class VoucherForm(Form):
    name = StringField(
        _l("Name (Indonesian)"), validators=[DataRequired(_l("Give the voucher a name.")), Length(max=120)]
    )
    name_en = StringField(_l("Name (English, optional)"), validators=[Optional(), Length(max=120)])
    code = StringField(
        _l("Code (leave empty for an automatic discount)"),
        validators=[Optional(), Length(max=40, message=_l("A voucher code has at most 40 letters."))],
    )
    scope = SelectField(_l("For"), choices=[], validate_choice=True)
    kind = RadioField(
        _l("Discount"),
        choices=[SelectChoice(kind.value, KIND_LABELS[kind]) for kind in DiscountKind],
        default=DiscountKind.AMOUNT.value,
        validators=[DataRequired(_l("Choose a fixed amount or a percentage."))],
    )
    amount = BoundedIntegerField(_l("Amount off (rupiah)"), validators=[Optional(), NumberRange(min=1)], **RUPIAH)
    percent = BoundedIntegerField(_l("Percentage off"), validators=[Optional(), NumberRange(min=1, max=100)])
    cap = BoundedIntegerField(
        _l("At most per order (rupiah, optional)"), validators=[Optional(), NumberRange(min=1)], **RUPIAH
    )
    min_order = BoundedIntegerField(
        _l("Minimum food per order (rupiah)"), default=0, validators=[InputRequired(), NumberRange(min=0)], **RUPIAH
    )
    budget = BoundedIntegerField(
        _l("Total budget (rupiah)"),
        validators=[InputRequired(_l("Give a budget in rupiah.")), NumberRange(min=1)],
        **RUPIAH,
    )
    per_user_limit = BoundedIntegerField(
        _l("Uses per customer (per account and per phone number)"),
        default=1,
        validators=[InputRequired(), NumberRange(min=1, max=100)],
    )
    starts_on = DateField(_l("First day"), validators=[InputRequired(_l("Give the first day."))])
    ends_on = DateField(_l("Last day"), validators=[InputRequired(_l("Give the last day."))])
    opens = TimeField(_l("From (WIB, optional)"), validators=[Optional()])
    closes = TimeField(_l("Until (WIB, optional)"), validators=[Optional()])
    active = BooleanField(_l("Offered (untick to pause)"), default=True)

    def validate_ends_on(self, field) -> None:
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The last day cannot be before the first day."))

    def validate_closes(self, field) -> None:
        if (self.opens.data is None) != (field.data is None):
            raise ValidationError(_l("Give both hours, or neither for all day."))
        if self.opens.data and field.data and field.data == self.opens.data:
            raise ValidationError(
                _l("The closing hour must differ from the opening hour (leave both empty for all day).")
            )

    def validate_amount(self, field) -> None:
        if self.kind.data == DiscountKind.AMOUNT and not field.data:
            raise ValidationError(_l("Give the amount off in rupiah."))

    def validate_percent(self, field) -> None:
        if self.kind.data == DiscountKind.PERCENT and not field.data:
            raise ValidationError(_l("Give a percentage between 1 and 100."))
