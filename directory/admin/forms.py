"""Admin decision forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectChoice, StringField, TextAreaField
from wtforms.validators import Length, Optional

from ..forms import Form
from ..workspace.forms import CheckboxesField
from .services import CHECKLIST, Checklist


class DecisionForm(Form):
    """The message and checklist; the decision itself is the button pressed (``action``).

    Approving or re-verifying needs every checklist item ticked, or a reason written for each one left
    unticked (``reason_<item>``, one field per item; the reasons are kept in the audit log).
    """

    checklist = CheckboxesField(_l("What you checked"))
    message = TextAreaField(
        _l("Message to the organization"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Needed to ask for changes, reject or suspend. The organization sees it."),
    )
    # What the admin was looking at: the listing's status and content version, and the pending
    # revision's id if any.
    seen = HiddenField()
    version = HiddenField()
    revision = HiddenField()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.checklist.choices = [SelectChoice(key, str(label)) for key, label in CHECKLIST.items()]

    def reason_fields(self) -> dict[str, StringField]:
        """Checklist item -> the field for why it was left unticked."""
        return {key: getattr(self, f"reason_{key}") for key in CHECKLIST}

    def to_checklist(self) -> Checklist:
        reasons = {key: field.data or "" for key, field in self.reason_fields().items()}
        return Checklist.of(self.checklist.data, reasons)


for _key in CHECKLIST:
    setattr(
        DecisionForm,
        f"reason_{_key}",
        StringField(
            _l("If not checked, why"),
            validators=[Optional(), Length(max=500)],
            description=_l("Needed for every item you leave unticked; kept in the audit log."),
        ),
    )


class AgencyDecisionForm(Form):
    message = TextAreaField(
        _l("Reason"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Needed to reject or suspend; kept in the audit log."),
    )
    seen = HiddenField()  # the status the admin was looking at


class AuditFilterForm(Form):
    class Meta:
        csrf = False  # a GET search form

    action = StringField(_l("Action starts with"), validators=[Optional(), Length(max=60)])
    target_type = StringField(_l("Record type"), validators=[Optional(), Length(max=40)])
    actor = StringField(_l("Who (e.g. admin 3)"), validators=[Optional(), Length(max=40)])
