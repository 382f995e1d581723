"""What a partnership request is made of, in words: each list of values an agency chooses from, with its
label, and the name of every step on a request.

Declared once: the request form's choices, the checks on a draft (``services.validate_draft``) and the
request page, its list and its emails all come from here, so no page ever shows a stored value such as
``near_final`` where a label belongs.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TypeVar

from flask_babel import lazy_gettext as _l

from .. import vocab
from .checks import Commitment, Maturity, Stage
from .models import ENDING_STATES, RequestState

E = TypeVar("E", bound=enum.Enum)


def labelled(kind: type[E], labels: Mapping[E, object]) -> dict[str, object]:
    """``kind``'s values (the check declares them) with their labels, in the enum's order.

    A value without a label, or a label for no value, is a ValueError when the module loads: the
    choices offered, the values accepted and the check cannot drift apart.
    """
    if set(labels) != set(kind):
        raise ValueError(f"{kind.__name__}: labels for {sorted(map(str, labels))}, values {list(kind)}")
    return {member.value: labels[member] for member in kind}


#: Stages at which survivor input is sought (the check's Stage values).
STAGES: dict[str, object] = labelled(
    Stage,
    {
        Stage.DESIGN: _l("Program development and design"),
        Stage.IMPLEMENTATION: _l("Implementation"),
        Stage.EVALUATION: _l("Evaluation"),
    },
)

#: How far along the work is (the check's Maturity values).
MATURITIES: dict[str, object] = labelled(
    Maturity,
    {
        Maturity.IDEA: _l("An idea"),
        Maturity.EARLY_DRAFT: _l("An early draft"),
        Maturity.NEAR_FINAL: _l("Nearly final"),
        Maturity.FINAL: _l("Final"),
    },
)

#: How the pay is counted.
BASES: dict[str, object] = {
    "hourly": _l("by the hour"),
    "daily": _l("by the day"),
    "fixed_fee": _l("a fixed fee"),
    "salary": _l("a salary"),
}

#: Where the work happens.
MODES: dict[str, object] = {
    "remote": _l("Remote"),
    "in_person": _l("In person"),
    "both": _l("Both"),
}

#: The modes in which the work happens somewhere: the request then says where.
ON_SITE_MODES = frozenset({"in_person", "both"})

#: The diversity of survivor perspectives sought.
DIVERSITY: dict[str, object] = {
    "age": _l("Age"),
    "gender": _l("Gender"),
    "race": _l("Race"),
    "national_origin": _l("National origin"),
    "sexual_orientation": _l("Sexual orientation"),
    "disability": _l("Disability"),
}

#: Trauma-informed commitments (the check's Commitment values).
COMMITMENTS: dict[str, object] = labelled(
    Commitment,
    {
        Commitment.NO_STORY_REQUIRED: _l("No one is required to share their personal story"),
        Commitment.CONFIDENTIALITY: _l("Confidentiality"),
        Commitment.SUPPORT_PERSON: _l("A support person is welcome"),
        Commitment.FLEXIBLE_SCHEDULING: _l("Flexible scheduling"),
        Commitment.ACCESSIBILITY: _l("Accessibility accommodations"),
        Commitment.RIGHT_TO_WITHDRAW: _l("The right to withdraw"),
    },
)

#: Request field -> its list of values: the form's choices and the values a draft may hold. How the
#: survivor would be engaged, the forms of trafficking a project concerns and the perspectives it seeks
#: are the directory's own terms (``vocab``).
TERMS: dict[str, dict[str, object]] = {
    "stages": STAGES,
    "maturity": MATURITIES,
    "engagement": vocab.TAXONOMIES["engagement"],
    "basis": BASES,
    "mode": MODES,
    "concerns": vocab.TAXONOMIES["trafficking"],
    "perspectives": vocab.TAXONOMIES["trafficking"],
    "diversity": DIVERSITY,
    "commitments": COMMITMENTS,
}


def term_label(field: str, value: str) -> str:
    """The label of one value of a request field (a value no list knows, from older data: in words)."""
    found = TERMS[field].get(value)
    return str(found) if found is not None else value.replace("_", " ").replace("-", " ")


def term_labels(field: str, values: list[str]) -> list[str]:
    return [term_label(field, value) for value in values]


#: Each step, named as the action the person takes (the button), by (from, to).
ACTIONS: dict[tuple[RequestState, RequestState], object] = {
    (RequestState.DRAFT, RequestState.SENT): _l("Send the request"),
    (RequestState.DRAFT, RequestState.WITHDRAWN): _l("Withdraw"),
    (RequestState.SENT, RequestState.ACCEPTED): _l("Accept"),
    (RequestState.SENT, RequestState.DECLINED): _l("Decline"),
    (RequestState.SENT, RequestState.MORE_INFO): _l("Ask for more information"),
    (RequestState.SENT, RequestState.WITHDRAWN): _l("Withdraw"),
    (RequestState.MORE_INFO, RequestState.SENT): _l("Send the request again with the information"),
    (RequestState.MORE_INFO, RequestState.WITHDRAWN): _l("Withdraw"),
    (RequestState.MORE_INFO, RequestState.DECLINED): _l("Decline"),
    (RequestState.ACCEPTED, RequestState.IN_PROGRESS): _l("Start the work"),
    (RequestState.ACCEPTED, RequestState.WITHDRAWN): _l("Withdraw"),
    (RequestState.ACCEPTED, RequestState.DECLINED): _l("Decline"),
    (RequestState.IN_PROGRESS, RequestState.COMPLETED): _l("Mark as completed"),
}

#: Steps that cannot be undone (they end the request): the page asks to confirm them first.
CONFIRM_FIRST = ENDING_STATES

#: For each step that is confirmed first: the question the confirmation page asks, and what the step does.
CONFIRMATIONS: dict[RequestState, tuple[object, object]] = {
    RequestState.DECLINED: (
        _l("Decline this request?"),
        _l("The agency is told that you declined. This cannot be undone."),
    ),
    RequestState.WITHDRAWN: (
        _l("Withdraw this request?"),
        _l("The request is withdrawn and ends here. This cannot be undone."),
    ),
    RequestState.COMPLETED: (
        _l("Mark this request as completed?"),
        _l(
            "The request is closed as completed, and each side can then leave private feedback. "
            "This cannot be undone."
        ),
    ),
}


def action_label(frm: RequestState, to: RequestState) -> str:
    """The name of the step from ``frm`` to ``to``, as its button says it."""
    return str(ACTIONS[(frm, to)])
