"""The questionnaire and its scoring: pure data and pure functions.

Sections follow the checklist for establishing a survivor-informed practice (State Department TIP Report):
assess gaps and opportunities; paid employment of survivors; diverse survivor input; input at every stage;
trauma-informed engagement; training and partnership with survivor-led organizations.

Every question names the next step for an organization that answers "no" or "partly": a directory search
for partners who can help (``search``: query parameters, checked against the search's own rules by the
tests), or, where no search fits, a short piece of advice (``advice``). Exactly one of the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

#: The points each answer scores.
ANSWERS = {"yes": 2, "partly": 1, "no": 0}
#: Each answer as the questionnaire offers it (in this order) and the result page names it.
ANSWER_LABELS: dict[str, object] = {"yes": _l("Yes"), "partly": _l("Partly"), "no": _l("No")}


@dataclass(frozen=True)
class Question:
    key: str
    text: Any
    # The directory search that helps fill this gap (query parameters)...
    search: dict[str, str] | None = None
    # ...or, where no search fits, what to do instead, in a sentence or two.
    advice: Any = None

    def __post_init__(self) -> None:
        if (self.search is None) == (self.advice is None):
            raise ValueError(f"question {self.key!r} needs exactly one next step: a search or advice")


@dataclass(frozen=True)
class Section:
    key: str
    title: Any
    questions: tuple[Question, ...]


SECTIONS: tuple[Section, ...] = (
    Section(
        "assessment",
        _l("Knowing where you stand"),
        (
            Question(
                "assessed",
                _l("We have assessed how survivor-informed our work is."),
                advice=_l(
                    "Taking this self-assessment is a first step: keep this result and share it with "
                    "the survivors you work with."
                ),
            ),
            Question(
                "gaps_known",
                _l("We have written down our gaps and opportunities."),
                advice=_l(
                    "This page lists your gaps: print it or save it, and give each gap a person "
                    "responsible and a date."
                ),
            ),
            Question(
                "reviewed",
                _l("We review this at least once a year."),
                advice=_l(
                    "Put a date in your calendar a year from now to take this self-assessment again; "
                    "your earlier results are kept, so progress shows."
                ),
            ),
        ),
    ),
    Section(
        "paid_employment",
        _l("Paid employment of survivors"),
        (
            Question(
                "staff",
                _l("Survivors work with us in paid staff positions."),
                {"engagement": "staff-position"},
            ),
            Question("consultants", _l("We pay survivors as consultants."), {"engagement": "consultant"}),
            Question("trainers", _l("We pay survivors as trainers."), {"engagement": "trainer"}),
        ),
    ),
    Section(
        "diverse_input",
        _l("Input from a diverse community of survivors"),
        (
            Question(
                "sex_perspective",
                _l("We seek the perspectives of survivors of sex trafficking."),
                {"trafficking": "sex"},
            ),
            Question(
                "labor_perspective",
                _l("We seek the perspectives of survivors of labor trafficking."),
                {"trafficking": "labor"},
            ),
            Question(
                "diversity",
                _l(
                    "The survivors we hear reflect diversity of age, gender, race, national origin, "
                    "sexual orientation and disability."
                ),
                advice=_l(
                    "In each partnership request, choose the diversity you seek, and ask the survivor-led "
                    "organizations you work with how to reach a wider community of survivors. Never ask "
                    "anyone to prove their history."
                ),
            ),
        ),
    ),
    Section(
        "every_stage",
        _l("Survivor input at every stage"),
        (
            Question(
                "design",
                _l("Survivors take part in program development and design."),
                {"service": "program-design-review"},
            ),
            Question(
                "implementation", _l("Survivors take part in implementation."), {"service": "consulting"}
            ),
            Question("evaluation", _l("Survivors take part in evaluation."), {"service": "evaluation"}),
        ),
    ),
    Section(
        "trauma_informed",
        _l("Trauma-informed engagement"),
        (
            Question(
                "no_story",
                _l("Nobody has to share their personal story to work with us."),
                advice=_l(
                    "Ask for expertise, not stories: in each partnership request, commit that no one is "
                    "required to share their personal story, and do not ask for it."
                ),
            ),
            Question(
                "commitments",
                _l("We offer confidentiality, flexible scheduling, accessibility and the right to withdraw."),
                advice=_l(
                    "Each partnership request lets you make these commitments: make them every time, "
                    "and keep them in the rest of your work too."
                ),
            ),
            Question(
                "staff_trained",
                _l("Our staff are trained in trauma-informed engagement."),
                {"service": "training"},
            ),
        ),
    ),
    Section(
        "partnership",
        _l("Training and partnership with survivor-led organizations"),
        (
            Question(
                "trained",
                _l("We have been trained in engaging survivors by survivor leaders."),
                {"service": "training"},
            ),
            Question(
                "partner", _l("We partner with survivor-led organizations."), {"model": "survivor-founded"}
            ),
            Question(
                "pay_partners",
                _l("We pay survivor-led organizations for their expertise."),
                {"service": "consulting"},
            ),
        ),
    ),
)


class AnswerError(ValueError):
    """An answer is missing or not one of yes / partly / no."""


def score(answers: dict[str, str]) -> dict[str, int]:
    """Percent per section and ``overall`` (the mean of the sections); every question must be answered."""
    out: dict[str, int] = {}
    for section in SECTIONS:
        points = 0
        for question in section.questions:
            answer = answers.get(question.key)
            if answer not in ANSWERS:
                raise AnswerError(question.key)
            points += ANSWERS[answer]
        out[section.key] = round(100 * points / (2 * len(section.questions)))
    out["overall"] = round(sum(out[s.key] for s in SECTIONS) / len(SECTIONS))
    return out


def gaps(answers: dict[str, str]) -> list[tuple[Section, Question, str]]:
    """The questions answered "no" or "partly": (section, question, answer), in questionnaire order."""
    return [
        (section, question, answers[question.key])
        for section in SECTIONS
        for question in section.questions
        if answers.get(question.key) in ("no", "partly")
    ]
