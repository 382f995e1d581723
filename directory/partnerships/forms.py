"""The partnership request form."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Numeric
from wtforms import (
    DateField,
    DecimalField,
    Field,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, StopValidation

from ..forms import Form, LanguagesField
from ..workspace.forms import LANGUAGES_HELP, CheckboxesField
from . import vocabulary as words
from .models import PartnershipRequest


def _largest(column: Numeric) -> Decimal:
    return Decimal(10) ** (column.precision - column.scale) - Decimal(10) ** -column.scale


#: The largest amount the database column holds.
MAX_AMOUNT = _largest(PartnershipRequest.__table__.c.amount.type)


def _finite(form: object, field: Field) -> None:
    """Infinity and NaN are no amount (and a signalling NaN would break the range check)."""
    if isinstance(field.data, Decimal) and not field.data.is_finite():
        raise StopValidation(_l("Give the amount as a number."))


def _choices(pairs: list[tuple[str, object]]) -> list[SelectChoice]:
    return [SelectChoice(value, str(label)) for value, label in pairs]


class RequestForm(Form):
    form_token = HiddenField(validators=[Length(max=PartnershipRequest.__table__.c.form_token.type.length)])
    title = StringField(_l("Project title"), validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField(_l("What the project is"), validators=[DataRequired(), Length(max=5000)])
    stages = CheckboxesField(_l("Stages at which you seek survivor input"))
    maturity = RadioField(_l("How far along is the work?"), validators=[DataRequired()])
    engagement = SelectField(_l("Engagement"), validators=[DataRequired()])
    paid = RadioField(_l("Is it paid?"), validators=[DataRequired()])
    amount = DecimalField(
        _l("Amount"), places=2, validators=[Optional(), _finite, NumberRange(min=0, max=MAX_AMOUNT)]
    )
    currency = StringField(_l("Currency (ISO 4217, e.g. USD)"), validators=[Optional(), Length(max=3)])
    basis = SelectField(_l("Paid"), validators=[Optional()])
    respond_by = DateField(_l("Response wanted by"), validators=[DataRequired()])
    start_date = DateField(_l("Start"), validators=[Optional()])
    end_date = DateField(_l("End"), validators=[Optional()])
    mode = RadioField(_l("Where"), validators=[DataRequired()])
    place = StringField(_l("Place (if in person)"), validators=[Optional(), Length(max=200)])
    languages = LanguagesField(_l("Languages"), description=LANGUAGES_HELP)
    concerns = CheckboxesField(_l("Forms of trafficking the project concerns"))
    perspectives = CheckboxesField(_l("Perspectives you seek"))
    diversity = CheckboxesField(_l("Diversity you seek"))
    asks_personal_story = RadioField(
        _l("Will the survivor be asked to share their personal story?"), validators=[DataRequired()]
    )
    commitments = CheckboxesField(_l("Your trauma-informed commitments"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for name, values in words.TERMS.items():  # each request field with a list of values
            getattr(self, name).choices = _choices(list(values.items()))
        self.basis.choices = _choices([("", _l("Choose")), *words.TERMS["basis"].items()])
        self.paid.choices = _choices([("yes", _l("Paid")), ("no", _l("Unpaid"))])
        self.asks_personal_story.choices = _choices([("no", _l("No")), ("yes", _l("Yes"))])
