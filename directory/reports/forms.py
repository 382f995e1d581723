"""The report form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import Form
from .models import ReportReason

REASON_LABELS = {
    ReportReason.WRONG_DETAILS: _l("Its details are wrong or out of date"),
    ReportReason.CLOSED: _l("It has closed"),
    ReportReason.UNSAFE: _l("It is unsafe, or the listing puts someone at risk"),
    ReportReason.NOT_SURVIVOR_LED: _l("It is not survivor-led"),
}


class ReportForm(Form):
    reason = RadioField(_l("What is the problem?"), validators=[DataRequired()])
    details = TextAreaField(
        _l("Details (optional)"),
        validators=[Optional(), Length(max=2000)],
        description=_l(
            "Don't include anyone's personal story. "
            "Your name and address are never shown to the organization."
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.reason.choices = [SelectChoice(r.value, str(label)) for r, label in REASON_LABELS.items()]
