"""Admin decision forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, StringField, TextAreaField
from wtforms.validators import Length, Optional

from ..workspace.forms import CheckboxesField
from .services import CHECKLIST


class DecisionForm(FlaskForm):
    """The message and checklist; the decision itself is the button pressed (``action``)."""

    checklist = CheckboxesField(_l("What you checked"))
    message = TextAreaField(
        _l("Message to the organization"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Needed to ask for changes, reject or suspend. The organization sees it."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.checklist.choices = [SelectChoice(key, str(label)) for key, label in CHECKLIST.items()]


class AgencyDecisionForm(FlaskForm):
    message = TextAreaField(
        _l("Reason"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Needed to reject or suspend; kept in the audit log."),
    )


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    action = StringField(_l("Action starts with"), validators=[Optional(), Length(max=60)])
    target_type = StringField(_l("Record type"), validators=[Optional(), Length(max=40)])
    actor = StringField(_l("Who (e.g. admin 3)"), validators=[Optional(), Length(max=40)])
