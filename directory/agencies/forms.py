"""The agency details form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..accounts.forms import agency_type_choices, country_choices
from ..forms import Form, NameField, WebsiteField


class AgencyForm(Form):
    name = NameField(_l("Agency name"), validators=[DataRequired(), Length(max=200)])
    agency_type = SelectField(_l("Type"), validators=[DataRequired()])
    country_code = SelectField(_l("Country"), validators=[DataRequired()])
    website = WebsiteField(_l("Website"), validators=[Optional(), Length(max=300)])
    description = TextAreaField(
        _l("Your anti-trafficking work"), validators=[DataRequired(), Length(max=2000)]
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.country_code.choices = country_choices()
        self.agency_type.choices = agency_type_choices()
