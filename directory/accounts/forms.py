"""Account forms. Field checks that need no database live here; the rest come back from services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from .. import regions
from ..agencies.models import AgencyType
from ..forms import Form, NameField, WebsiteField
from ..labels import agency_type_label
from .passwords import MAX_LENGTH


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


PASSWORD_HELP = _l(
    "At least 15 characters. No rules about symbols or digits: a few unrelated words you will "
    "remember make a strong password."
)


def agency_type_choices() -> list[SelectChoice]:
    return [SelectChoice(kind.value, agency_type_label(kind)) for kind in AgencyType]


def country_choices() -> list[SelectChoice]:
    """Every country, by name in the reader's language, after an empty "choose" option."""
    names = sorted((regions.country_name(code), code) for code in regions.country_codes())
    return [SelectChoice("", str(_l("Choose a country")))] + [
        SelectChoice(code, name) for name, code in names
    ]


def _password_field(label: object) -> PasswordField:
    return PasswordField(
        label,
        validators=[DataRequired()],  # the length and the rest: passwords.password_problems
        description=PASSWORD_HELP,
        render_kw={"autocomplete": "new-password"},
    )


class _PersonForm(Form):
    display_name = NameField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(), Email(), Length(max=254)],
        filters=[_strip],
        render_kw={"autocomplete": "email"},
    )
    password = _password_field(_l("Choose a password"))


class RegisterOrganizationForm(_PersonForm):
    org_name = NameField(_l("Organization name"), validators=[DataRequired(), Length(max=200)])
    country_code = SelectField(_l("Country"), validators=[DataRequired()])
    city = StringField(
        _l("City"),
        validators=[Optional(), Length(max=120)],
        description=_l("You will choose later how precisely the public sees where you are."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.country_code.choices = country_choices()


class RegisterAgencyForm(_PersonForm):
    agency_name = NameField(_l("Agency name"), validators=[DataRequired(), Length(max=200)])
    agency_type = SelectField(_l("Type"), validators=[DataRequired()])
    country_code = SelectField(_l("Country"), validators=[DataRequired()])
    website = WebsiteField(_l("Website"), validators=[Optional(), Length(max=300)])
    description = TextAreaField(
        _l("Your anti-trafficking work"),
        validators=[DataRequired(), Length(max=2000)],
        description=_l("A few sentences an admin can check before verifying your agency."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.country_code.choices = country_choices()
        self.agency_type.choices = agency_type_choices()


class LoginForm(Form):
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(), Length(max=254)],
        filters=[_strip],
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class ForgotPasswordForm(Form):
    email = EmailField(
        _l("Email address"), validators=[DataRequired(), Email(), Length(max=254)], filters=[_strip]
    )


class ResetPasswordForm(Form):
    password = _password_field(_l("New password"))


class LanguageForm(Form):
    """The language of the directory's pages and of the email it sends you."""

    language = RadioField(
        _l("Language"),
        validators=[DataRequired()],
        description=_l("The language of these pages and of the email we send you."),
    )


class NameForm(Form):
    display_name = NameField(_l("Your name"), validators=[DataRequired(), Length(max=120)])


class EmailChangeForm(Form):
    email = EmailField(
        _l("New email address"), validators=[DataRequired(), Email(), Length(max=254)], filters=[_strip]
    )
    password = PasswordField(
        _l("Current password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )


class PasswordChangeForm(Form):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )
    new_password = _password_field(_l("New password"))


class ConfirmEmailForm(Form):
    """The button that confirms an email address (its token is in the address)."""


class TwoFactorForm(Form):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=32)],
        description=_l("The 6-digit code from your authenticator app, or one of your recovery codes."),
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class DeleteAccountForm(Form):
    password = PasswordField(
        _l("Your password, to confirm"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )


class InviteForm(Form):
    email = EmailField(
        _l("Email address of the person to invite"),
        validators=[DataRequired(), Email(), Length(max=254)],
        filters=[_strip],
    )


class AcceptInvitationForm(Form):
    display_name = NameField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    password = _password_field(_l("Choose a password"))
