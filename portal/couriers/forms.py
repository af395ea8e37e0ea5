from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileAllowed, FileField, FileRequired
from sqlalchemy import select
from wtforms import BooleanField, FloatField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.accounts import nik
from portal.couriers.contract import HandoverFailure, Vehicle
from portal.couriers.models import HANDOVER_FAILURE_LABELS, LANGUAGE_LABELS, VEHICLE_LABELS, Delivery, DriverProfile
from portal.extensions import db
from portal.forms import Form

NIK_MESSAGES = {
    "length": _l("A NIK has exactly 16 digits."),
    "region": _l("The first six digits are not a known region code."),
    "birth_date": _l("Digits 7 to 12 must be a birth date (women add 40 to the day)."),
    "serial": _l("The last four digits cannot be 0000."),
}
# Indonesian plates: region letters, number, suffix letters, e.g. "P 1234 AB" (Banyuwangi is P).
PLATE = re.compile(r"^[A-Z]{1,2} ?\d{1,4} ?[A-Z]{0,3}$")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DriverApplicationForm(Form):
    nik = StringField(
        _l("NIK (16 digits, from your KTP)"),
        validators=[DataRequired()],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 20},
    )
    ktp_address = TextAreaField(
        _l("Address on your KTP"), validators=[DataRequired(), Length(min=10, max=500)], render_kw={"rows": 3}
    )
    vehicle = RadioField(
        _l("Vehicle"),
        choices=[SelectChoice(v.value, VEHICLE_LABELS[v]) for v in Vehicle],
        default=Vehicle.MOTORBIKE.value,
        validators=[DataRequired()],
    )
    plate = StringField(
        _l("Plate number"), validators=[DataRequired(), Length(max=16)], render_kw={"placeholder": "P 1234 AB"}
    )
    photo = FileField(
        _l("Photo of your face (JPEG, PNG or WebP, up to 5 MB)"),
        validators=[
            FileRequired(_l("Please add a photo of your face.")),
            FileAllowed(["jpg", "jpeg", "png", "webp"], _l("Only JPEG, PNG or WebP photos.")),
        ],
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )
    languages = MultiCheckboxField(
        _l("Languages you speak"),
        choices=[SelectChoice(code, label) for code, label in LANGUAGE_LABELS.items()],
        default=["id"],
        validators=[DataRequired(_l("Choose at least one language."))],
    )
    medicine_trained = BooleanField(_l("I hold the RSUD medicine-handling training certificate"))

    def validate_nik(self, field) -> None:
        try:
            parsed = nik.parse(field.data)
        except nik.InvalidNIK as exc:
            raise ValidationError(NIK_MESSAGES[exc.reason]) from None
        field.data = parsed.value
        owner = db.session.scalar(
            select(DriverProfile.user_id).where(DriverProfile.nik_hash.in_(nik.lookup_hashes(parsed.value)))
        )
        if owner is not None and owner != current_user.id:
            raise ValidationError(_l("A driver with this NIK is already registered."))

    def validate_plate(self, field) -> None:
        plate = " ".join(field.data.upper().split())
        if not PLATE.match(plate):
            raise ValidationError(_l("Enter the plate as on the vehicle, e.g. P 1234 AB."))
        field.data = plate


class RejectForm(Form):
    reason = TextAreaField(
        _l("Reason (the applicant reads this)"), validators=[DataRequired(), Length(max=500)], render_kw={"rows": 2}
    )
    for_good = BooleanField(_l("Bar for good: no new application is taken"))


class PinForm(Form):
    pin = StringField(
        _l("Recipient's PIN"),
        validators=[DataRequired(), Length(min=4, max=6)],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*", "maxlength": 6},
    )


class HandoverForm(Form):
    """ "Delivered": the PIN when the job has one, who took the goods when the job names the
    receivers, and whether the thing to take back came back. Fields a job does not need are removed."""

    pin = PinForm.pin
    receiver = SelectField(
        _l("Who took it?"), validators=[DataRequired(_l("Choose who took the goods."))], validate_choice=True
    )
    collected = BooleanField()

    @classmethod
    def for_delivery(cls, delivery: Delivery) -> HandoverForm:
        form = cls()
        if not delivery.needs_pin:
            del form.pin
        if delivery.receivers:
            form.receiver.choices = [("", _l("Choose…")), *((name, name) for name in delivery.receivers)]
        else:
            del form.receiver
        if delivery.collect:
            form.collected.label.text = _l("I took back %(what)s", what=delivery.collect)
        else:
            del form.collected
        return form


class NotDeliveredForm(Form):
    reason = RadioField(
        _l("Why could it not be handed over?"),
        choices=[SelectChoice(reason.value, HANDOVER_FAILURE_LABELS[reason]) for reason in HandoverFailure],
        validators=[InputRequired(_l("Choose why the goods could not be handed over."))],
    )


class PositionForm(Form):
    """Where the courier's phone is (Geolocation's coords), posted by the workspace's script."""

    lat = FloatField(_l("Latitude"), validators=[InputRequired(), NumberRange(-90, 90)])
    lng = FloatField(_l("Longitude"), validators=[InputRequired(), NumberRange(-180, 180)])
    accuracy = FloatField(_l("Accuracy (metres)"), validators=[Optional(), NumberRange(0)])
