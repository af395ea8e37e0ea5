"""The post's forms. Registration is one page a pharmacist fills in on a tablet in under a
minute: the fields a patient can answer at once, defaults for the rest (one bag, free fare)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from portal.accounts.forms import PhoneField
from portal.forms import Form
from portal.maps.forms import LatitudeField, LongitudeField, PinMixin
from portal.medicine.models import HOLD_LABELS, MAX_BAGS, FareClass
from portal.medicine.services.errors import MedicineError
from portal.medicine.services.registration import RESTRICTED_REASON, indonesian_phone


class RegistrationForm(PinMixin, Form):
    """Every field is checked in one pass, each error next to its field (the service checks the
    same again, for callers without a form)."""

    key = HiddenField()  # one per form shown: a double-clicked "register" makes one delivery
    patient_name = StringField(_l("Patient's name"), validators=[DataRequired(), Length(max=120)])
    phone = PhoneField(_l("Patient's phone (for SMS)"), validators=[DataRequired()])
    prescription_number = StringField(_l("Prescription or visit number"), validators=[DataRequired(), Length(max=40)])
    address = TextAreaField(_l("Delivery address"), validators=[DataRequired(), Length(max=500)])
    latitude = LatitudeField()  # hidden: the map sets them, or the address is looked up
    longitude = LongitudeField()
    landmark = StringField(_l("Landmark (optional)"), validators=[Optional(), Length(max=200)])
    receiver_1 = StringField(_l("Family member who may receive it (optional)"), validators=[Length(max=120)])
    relation_1 = StringField(_l("Relationship"), validators=[Length(max=60)])
    receiver_2 = StringField(_l("Second family member (optional)"), validators=[Length(max=120)])
    relation_2 = StringField(_l("Relationship"), validators=[Length(max=60)])
    fare_class = RadioField(
        _l("Fare"),
        choices=lambda: [
            SelectChoice(FareClass.FREE.value, _l("Free: PBI / DTSEN card checked")),
            SelectChoice("cash", _l("Paid, cash on delivery")),
            SelectChoice("card", _l("Paid by card: the patient pays through the link")),
        ],
        default=FareClass.FREE.value,
        validators=[DataRequired(_l("Choose free (PBI / DTSEN) or paid."))],
    )
    card_checked_by = StringField(_l("PBI / DTSEN card checked by"), validators=[Length(max=120)])
    bags = IntegerField(
        _l("Bags"),
        default=1,
        validators=[InputRequired(), NumberRange(1, MAX_BAGS, message=_l("1 to %(max)s bags.", max=MAX_BAGS))],
    )
    cold_chain = BooleanField(_l("Needs the cold chain"))
    compounded = BooleanField(_l("Compounded (racikan)"))
    restricted = BooleanField(_l("Contains a restricted medicine (narcotic, psychotropic, injection…)"))
    confirm_duplicate = BooleanField(_l("Register anyway: this is a new prescription"))

    def validate_phone(self, field) -> None:
        if field.errors:  # PhoneField already said it is no phone number
            return
        try:
            indonesian_phone(field.data or "")
        except MedicineError as error:
            raise ValidationError(str(error)) from None

    def _pair(self, name, relation, field) -> None:
        if bool((name.data or "").strip()) != bool((relation.data or "").strip()) and not (field.data or "").strip():
            raise ValidationError(_l("Give each family member who may receive it a name and a relationship."))

    def validate_receiver_1(self, field) -> None:
        self._pair(self.receiver_1, self.relation_1, field)

    def validate_relation_1(self, field) -> None:
        self._pair(self.receiver_1, self.relation_1, field)

    def validate_receiver_2(self, field) -> None:
        self._pair(self.receiver_2, self.relation_2, field)

    def validate_relation_2(self, field) -> None:
        self._pair(self.receiver_2, self.relation_2, field)

    def validate_restricted(self, field) -> None:
        if field.data:
            raise ValidationError(RESTRICTED_REASON)

    def validate_card_checked_by(self, field) -> None:
        if self.fare_class.data == FareClass.FREE and not (field.data or "").strip():
            raise ValidationError(_l("Who checked the PBI / DTSEN card?"))

    def receivers(self) -> list[tuple[str, str]]:
        return [
            (self.receiver_1.data or "", self.relation_1.data or ""),
            (self.receiver_2.data or "", self.relation_2.data or ""),
        ]


class HoldForm(Form):
    reason = SelectField(
        _l("Why it waits"), choices=lambda: [SelectChoice(code.value, label) for code, label in HOLD_LABELS.items()]
    )


class CancelForm(Form):
    reason = StringField(_l("Reason"), validators=[DataRequired(_l("Say why.")), Length(max=300)])


class PharmacistForm(Form):
    email = StringField(_l("Pharmacist's email"), validators=[DataRequired(), Length(max=254)])
    hospital_id = SelectField(_l("Hospital"), coerce=int)


class ContractForm(Form):
    gosend_trained_contract = BooleanField(_l("GoSend trained-driver contract"))
