"""The resident's questions (one form per page), the clerk's decisions, the admin's fee setting."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, RadioField, StringField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from portal.accounts import nik
from portal.accounts.forms import PhoneField
from portal.couriers.forms import NIK_MESSAGES, MultiCheckboxField
from portal.documents.models import TYPE_LABELS, DocumentType
from portal.documents.services import checks
from portal.documents.services.requests import MAX_RECEIVERS
from portal.forms import Form
from portal.maps.forms import LatitudeField, LongitudeField, PinMixin


def _registration(form, field) -> None:
    value = checks.registration_number(field.data)
    if value is None:
        raise ValidationError(
            _l(
                "Enter the number as printed on your MPP receipt, e.g. %(example)s.",
                example=checks.REGISTRATION_EXAMPLE,
            )
        )
    field.data = value


def _kk(form, field) -> None:
    value = checks.kk_number(field.data)
    if value is None:
        raise ValidationError(_l("A KK number has 16 digits and starts with a region code, like a NIK."))
    field.data = value


class TypeForm(Form):
    document_type = RadioField(
        _l("Which document should we deliver?"),
        # The lazy labels: `kind.label` is a str made once, at import, in no reader's language.
        choices=[SelectChoice(kind.value, TYPE_LABELS[kind]) for kind in DocumentType],
        validators=[InputRequired(_l("Choose a document."))],
    )


class RegistrationForm(Form):
    registration_number = StringField(
        _l("What is the MPP registration or receipt number?"),
        validators=[DataRequired(_l("Enter the registration number.")), Length(max=40), _registration],
        render_kw={"autocomplete": "off", "spellcheck": "false", "placeholder": checks.REGISTRATION_EXAMPLE},
    )


class HolderForm(Form):
    holder_name = StringField(
        _l("Holder's full name, as on the KK"),
        validators=[DataRequired(_l("Enter the holder's name.")), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    nik = StringField(
        _l("Holder's NIK (16 digits)"),
        validators=[DataRequired(_l("Enter the holder's NIK."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 20},
    )
    kk_number = StringField(
        _l("Kartu Keluarga number (16 digits)"),
        validators=[DataRequired(_l("Enter the KK number.")), _kk],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 20},
    )

    def validate_nik(self, field) -> None:
        try:
            field.data = nik.parse(field.data).value
        except nik.InvalidNIK as exc:
            raise ValidationError(NIK_MESSAGES[exc.reason]) from None


class AddressForm(PinMixin, Form):
    address = TextAreaField(
        _l("Delivery address, exactly as on the Kartu Keluarga"),
        validators=[DataRequired(_l("Enter the address.")), Length(min=10, max=500)],
        render_kw={"rows": 3, "autocomplete": "street-address"},
    )
    latitude = LatitudeField()  # hidden: the map sets them, or the address is looked up
    longitude = LongitudeField()

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not checks.in_regency(self.lat, self.lng):
            self.address.errors = [
                *self.address.errors,
                _l("This pin is outside Kabupaten Banyuwangi. We deliver only within the regency."),
            ]
            return False
        return True


class PhoneForm(Form):
    phone = PhoneField(
        _l("Which phone number should get the PIN?"),
        validators=[DataRequired(_l("Enter a phone number."))],
        render_kw={"autocomplete": "tel"},
    )


HOLDER, FAMILY = "holder", "family"


class ReceiversForm(Form):
    who = RadioField(
        _l("Who may receive the document at the door?"),
        choices=[
            SelectChoice(HOLDER, _l("Only the holder")),
            SelectChoice(FAMILY, _l("The holder or a family member on the same KK")),
        ],
        validators=[InputRequired(_l("Choose who may receive it."))],
    )
    family = TextAreaField(
        _l("Family members who may receive it (full names, one per line)"),
        validators=[Length(max=500)],  # not Optional(): it would skip validate_family when empty
        render_kw={"rows": 3},
    )

    def validate_family(self, field) -> None:
        if self.who.data != FAMILY:
            return
        names = self.names()
        if not names:
            raise ValidationError(_l("Name at least one family member, or choose “Only the holder”."))
        if len(names) > MAX_RECEIVERS:
            raise ValidationError(_l("Name at most %(n)s family members.", n=MAX_RECEIVERS))

    def names(self) -> list[str]:
        return [" ".join(line.split()) for line in (self.family.data or "").splitlines() if line.strip()]


class PaymentForm(Form):
    payment_method = RadioField(
        _l("How will you pay for the delivery?"),
        choices=[SelectChoice("card", _l("By card, now")), SelectChoice("cash", _l("In cash, to the courier"))],
        validators=[InputRequired(_l("Choose how to pay."))],
    )


class SubmitForm(Form):
    key = HiddenField()


class CorrectForm(Form):
    registration_number = RegistrationForm.registration_number
    kk_number = HolderForm.kk_number
    address = AddressForm.address
    note = TextAreaField(
        _l("A note for the MPP (optional)"), validators=[Optional(), Length(max=500)], render_kw={"rows": 2}
    )


# --- the MPP office ---------------------------------------------------------------------------


class IncompleteForm(Form):
    missing = TextAreaField(
        _l("What is missing (the resident reads this)"),
        validators=[DataRequired(_l("Say what is missing."))],
        render_kw={"rows": 2},
    )


class RejectForm(Form):
    reason = TextAreaField(
        _l("Reason for rejecting (the resident reads this)"),
        validators=[DataRequired(_l("Give a reason."))],
        render_kw={"rows": 2},
    )


class CourierForm(Form):
    when = RadioField(
        _l("When"),
        choices=[SelectChoice("now", _l("Now")), SelectChoice("window", _l("In a window"))],
        default="now",
        validators=[InputRequired()],
    )
    day = DateField(_l("Day"), validators=[Optional()])
    start = TimeField(_l("From (WIB)"), validators=[Optional()])
    end = TimeField(_l("Until (WIB)"), validators=[Optional()])
    return_old_card = BooleanField(_l("The old KTP-el card must be returned (changed or damaged card)"))

    def validate_end(self, field) -> None:
        if self.when.data != "window":
            return
        if not (self.day.data and self.start.data and field.data):
            raise ValidationError(_l("Give the day and the window's start and end."))
        if field.data <= self.start.data:
            raise ValidationError(_l("The window must end after it starts."))


class FeesForm(Form):
    free = MultiCheckboxField(
        _l("The regency pays the delivery of"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.free.choices = [SelectChoice(kind.value, kind.label) for kind in DocumentType]  # in the reader's language


class CancelForm(Form):
    """The resident's cancel: the box must be ticked, so one tap cancels nothing (also without JS)."""

    sure = BooleanField(
        _l("Yes, cancel this request"),
        validators=[DataRequired(message=_l("Tick “Yes, cancel this request” to cancel it."))],
    )
