"""The survivor-informed check: what a partnership request should improve before it is sent.

A pure function (no database, no clock: ``today`` is an argument). Each finding cites the practice it
comes from, in the words of the State Department's Trafficking in Persons Report section on survivor
leadership that this directory is built around:

* pay survivors "like any other employee or consultant";
* seek input "from inception through development and completion", and avoid "final or close-to-final
  products" and "tight time constraints";
* plan input at every stage: "program development and design", "implementation", "evaluation";
* engage in a trauma-informed way;
* seek "both sex and labor trafficking perspectives".
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l


class Stage(enum.StrEnum):
    DESIGN = "design"  # program development and design
    IMPLEMENTATION = "implementation"
    EVALUATION = "evaluation"


class Maturity(enum.StrEnum):
    IDEA = "idea"
    EARLY_DRAFT = "early_draft"
    NEAR_FINAL = "near_final"
    FINAL = "final"


class Commitment(enum.StrEnum):
    """Trauma-informed commitments an agency makes in its request."""

    NO_STORY_REQUIRED = "no_story_required"
    CONFIDENTIALITY = "confidentiality"
    SUPPORT_PERSON = "support_person"
    FLEXIBLE_SCHEDULING = "flexible_scheduling"
    ACCESSIBILITY = "accessibility"
    RIGHT_TO_WITHDRAW = "right_to_withdraw"


class Severity(enum.StrEnum):
    CONCERN = "concern"  # goes against the practice: fix it, or be ready to explain it
    SUGGESTION = "suggestion"  # would make the partnership more survivor-informed


@dataclass(frozen=True)
class RequestTerms:
    """The terms of a partnership request that the check looks at."""

    stages: frozenset[Stage]
    maturity: Maturity
    paid: bool
    respond_by: date
    start: date | None = None
    concerns: frozenset[str] = frozenset()  # forms of trafficking the project concerns: "sex", "labor"
    perspectives: frozenset[str] = frozenset()  # perspectives sought: "sex", "labor"
    asks_personal_story: bool = False
    commitments: frozenset[Commitment] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Settings:
    """The thresholds, configurable (``PARTNERSHIP_MIN_WORKING_DAYS``, ``PARTNERSHIP_MIN_START_DAYS``)."""

    min_working_days_to_respond: int = 10
    min_days_to_start: int = 14


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str  # plain language, for the agency and the organization (in the language of the moment)
    practice: str  # the practice it comes from
    params: dict[str, int] = field(default_factory=dict)  # the numbers in the message


def working_days_between(first: date, last: date) -> int:
    """Monday-to-Friday days after ``first``, up to and including ``last`` (0 when last <= first)."""
    if last <= first:
        return 0
    days = (last - first).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    for offset in range(1, rest + 1):
        if (first + timedelta(days=weeks * 7 + offset)).weekday() < 5:
            count += 1
    return count


PAY = _l("Survivors, like any other employee or consultant, should be paid for their time and expertise.")
INCEPTION = _l(
    "Seek survivor input from a project's inception through its completion, "
    "not on final or close-to-final work."
)
TIME = _l("Avoid tight time constraints that impair the quality of survivor input.")
STAGES = _l("Plan survivor input at every stage: program design, implementation and evaluation.")
TRAUMA = _l("Engage survivors in a trauma-informed way.")
DIVERSITY = _l("Seek diverse survivor perspectives, including both sex and labor trafficking.")


#: What each finding says (its numbers filled in from ``Finding.params``) and the practice it comes from.
#: Requests keep the code and the numbers, so a finding is always shown in the reader's language.
WORDING: dict[str, tuple[object, object]] = {
    "unpaid": (_l("The request is unpaid."), PAY),
    "late_stage": (_l("Input is asked on near-final or final work, when it can change little."), INCEPTION),
    "short_response_time": (_l("%(n)d working days to respond (at least %(min)d are fair)."), TIME),
    "early_start": (_l("The work starts within %(n)d days."), TIME),
    "evaluation_only": (
        _l("Survivors are asked to evaluate only; involve them from design onwards."),
        STAGES,
    ),
    "single_stage": (
        _l("Survivors are asked at one stage only; involve them from design through evaluation."),
        STAGES,
    ),
    "personal_story": (
        _l("The survivor would be asked to share their personal story; expertise should not depend on it."),
        TRAUMA,
    ),
    "no_trauma_informed_commitments": (
        _l("The request makes no trauma-informed commitment (confidentiality, the right to withdraw, ...)."),
        TRAUMA,
    ),
    "one_perspective": (
        _l("The project concerns both sex and labor trafficking, but only one perspective is sought."),
        DIVERSITY,
    ),
}


#: A short name for each finding whose message needs its numbers (the dashboard counts findings by code).
TITLES: dict[str, object] = {
    "short_response_time": _l("Too little time to respond."),
    "early_start": _l("The work starts too soon."),
}


def finding_title(code: str) -> str:
    """A finding's name without its numbers, in the language in force now (an unknown code: as is)."""
    if code in TITLES:
        return str(TITLES[code])
    return str(WORDING[code][0]) if code in WORDING else code.replace("_", " ")


def describe(code: str, params: Mapping[str, int] | None = None) -> tuple[str, str]:
    """A finding's message and practice, in the language in force now."""
    message, practice = WORDING[code]
    return str(message) % dict(params or {}), str(practice)


def stored_wording(stored: Mapping[str, Any]) -> tuple[str, str]:
    """The message and practice of a finding kept with a request, in the reader's language (a finding
    kept before its numbers were, or of a code no longer checked, keeps the words it was stored with)."""
    code = stored.get("code")
    if code in WORDING:
        try:
            return describe(code, stored.get("params") or {})
        except KeyError:  # a number the stored finding does not have
            pass
    return str(stored.get("message", "")), str(stored.get("practice", ""))


def check_request(terms: RequestTerms, today: date, settings: Settings | None = None) -> list[Finding]:
    """Every way ``terms`` falls short of survivor-informed practice, most serious first."""
    settings = settings or Settings()
    findings: list[Finding] = []

    def add(code: str, severity: Severity, **params: int) -> None:
        message, practice = describe(code, params)
        findings.append(Finding(code, severity, message, practice, params))

    if not terms.paid:
        add("unpaid", Severity.CONCERN)
    if terms.maturity in (Maturity.NEAR_FINAL, Maturity.FINAL):
        add("late_stage", Severity.CONCERN)
    days = working_days_between(today, terms.respond_by)
    if days < settings.min_working_days_to_respond:
        add("short_response_time", Severity.CONCERN, n=days, min=settings.min_working_days_to_respond)
    if terms.start is not None and (terms.start - today).days < settings.min_days_to_start:
        add("early_start", Severity.CONCERN, n=settings.min_days_to_start)
    if terms.stages == frozenset({Stage.EVALUATION}):
        add("evaluation_only", Severity.SUGGESTION)
    elif len(terms.stages) == 1:
        add("single_stage", Severity.SUGGESTION)
    if terms.asks_personal_story:
        add("personal_story", Severity.CONCERN)
    if not terms.commitments:
        add("no_trauma_informed_commitments", Severity.CONCERN)
    both = {"sex", "labor"}
    if both <= terms.concerns and len(terms.perspectives & both) < 2:
        add("one_perspective", Severity.SUGGESTION)
    order = {Severity.CONCERN: 0, Severity.SUGGESTION: 1}
    return sorted(findings, key=lambda f: order[f.severity])
