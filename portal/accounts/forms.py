from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Regexp, ValidationError

from portal.accounts.models import Role, User
from portal.accounts.phone import InvalidPhone, to_e164
from portal.extensions import db
from portal.formatting import phone
from portal.forms import Form


class PhoneField(TelField):
    """Accepts 08…, 62… and +62…; `.data` is E.164 once validated. A stored number is shown as
    Indonesians write it (0812-3456-7890); what someone typed is shown back as typed."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return phone(self.data) if self.data else ""

    def pre_validate(self, form) -> None:
        if not self.data:
            return
        try:
            self.e164 = to_e164(self.data)
        except InvalidPhone:
            raise ValidationError(_l("Enter an Indonesian phone number, e.g. 0812 3456 7890.")) from None


class RegisterForm(Form):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    phone = PhoneField(_l("Phone (WhatsApp)"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=8, max=128)])
    password_confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )

    def validate_email(self, field) -> None:
        email = field.data.strip().lower()
        if db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
            raise ValidationError(_l("An account with this email already exists. Log in instead?"))


class LoginForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    remember = BooleanField(_l("Keep me logged in on this device"))
    next = HiddenField()


class ChangePasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=128)])
    password_confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )


class ProfileForm(Form):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    phone = PhoneField(_l("Phone (WhatsApp)"), validators=[DataRequired()])


class LanguageForm(Form):
    lang = HiddenField(validators=[DataRequired()])
    next = HiddenField()


class GrantRoleForm(Form):
    role = SelectField(_l("Role"), choices=lambda: [SelectChoice(r.value, r.label) for r in Role])


class PhoneCodeForm(Form):
    code = StringField(
        _l("Code from the SMS"),
        validators=[
            DataRequired(_l("Type the 6-digit code we sent.")),
            Regexp(r"^\s*[0-9]{6}\s*$", message=_l("Type the 6-digit code we sent.")),
        ],
    )


class ForgotPasswordForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    code = StringField(
        _l("Code from the SMS"),
        validators=[
            DataRequired(_l("Type the 6-digit code we sent.")),
            Regexp(r"^\s*[0-9]{6}\s*$", message=_l("Type the 6-digit code we sent.")),
        ],
    )
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=128)])
    password_confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )


class EmptyForm(Form):
    """For bare POST buttons: carries only the CSRF token."""
