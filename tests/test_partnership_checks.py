"""The survivor-informed check on partnership requests: every rule, with its boundaries."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from directory import create_app
from directory.partnerships.checks import (
    WORDING,
    Commitment,
    Finding,
    Maturity,
    RequestTerms,
    Settings,
    Severity,
    Stage,
    check_request,
    describe,
    finding_title,
    stored_wording,
    working_days_between,
)

MONDAY = date(2026, 11, 30)

GOOD = RequestTerms(
    stages=frozenset(Stage),
    maturity=Maturity.IDEA,
    paid=True,
    respond_by=date(2026, 12, 14),  # exactly 10 working days after MONDAY
    start=date(2026, 12, 14),  # exactly 14 days after MONDAY
    concerns=frozenset({"sex", "labor"}),
    perspectives=frozenset({"sex", "labor"}),
    asks_personal_story=False,
    commitments=frozenset({Commitment.CONFIDENTIALITY, Commitment.RIGHT_TO_WITHDRAW}),
)


def codes(terms: RequestTerms, today: date = MONDAY, settings: Settings | None = None) -> list[str]:
    return [f.code for f in check_request(terms, today, settings)]


def test_a_survivor_informed_request_has_no_findings() -> None:
    assert check_request(GOOD, MONDAY) == []


def test_unpaid() -> None:
    [finding] = check_request(replace(GOOD, paid=False), MONDAY)
    assert finding.code == "unpaid" and finding.severity is Severity.CONCERN
    assert "paid" in finding.practice and "consultant" in finding.practice


@pytest.mark.parametrize(
    ("maturity", "flagged"),
    [
        (Maturity.IDEA, False),
        (Maturity.EARLY_DRAFT, False),
        (Maturity.NEAR_FINAL, True),
        (Maturity.FINAL, True),
    ],
)
def test_near_final_or_final_work(maturity: Maturity, flagged: bool) -> None:
    assert ("late_stage" in codes(replace(GOOD, maturity=maturity))) is flagged


@pytest.mark.parametrize(
    ("respond_by", "flagged"),
    [
        (date(2026, 12, 14), False),  # Monday two weeks on: 10 working days, exactly enough
        (date(2026, 12, 13), True),  # the Sunday before: 9
        (date(2026, 12, 11), True),  # the Friday before: 9
        (date(2026, 12, 3), True),  # 3 working days
        (MONDAY, True),  # today: 0
        (date(2026, 11, 20), True),  # in the past
        (date(2027, 1, 29), False),
    ],
)
def test_time_to_respond_counts_working_days(respond_by: date, flagged: bool) -> None:
    terms = replace(GOOD, respond_by=respond_by, start=None)
    assert ("short_response_time" in codes(terms)) is flagged


def test_the_response_time_message_says_how_many_days() -> None:
    [finding] = check_request(replace(GOOD, respond_by=date(2026, 12, 3), start=None), MONDAY)
    assert finding.message.startswith("3 working days to respond")


@pytest.mark.parametrize(
    ("start", "flagged"),
    [(date(2026, 12, 14), False), (date(2026, 12, 13), True), (MONDAY, True), (None, False)],
)
def test_a_start_within_14_days(start: date | None, flagged: bool) -> None:
    assert ("early_start" in codes(replace(GOOD, start=start))) is flagged


def test_thresholds_are_configurable() -> None:
    terms = replace(GOOD, respond_by=date(2026, 12, 7), start=date(2026, 12, 7))  # 5 working days, 7 days
    assert {"short_response_time", "early_start"} <= set(codes(terms))
    relaxed = Settings(min_working_days_to_respond=5, min_days_to_start=7)
    assert codes(terms, settings=relaxed) == []


@pytest.mark.parametrize(
    ("stages", "expected"),
    [
        ({Stage.EVALUATION}, "evaluation_only"),
        ({Stage.DESIGN}, "single_stage"),
        ({Stage.IMPLEMENTATION}, "single_stage"),
        ({Stage.DESIGN, Stage.EVALUATION}, None),
        (set(Stage), None),
    ],
)
def test_stages(stages: set[Stage], expected: str | None) -> None:
    found = [
        c for c in codes(replace(GOOD, stages=frozenset(stages))) if c in ("evaluation_only", "single_stage")
    ]
    assert found == ([expected] if expected else [])


def test_personal_story_and_missing_commitments() -> None:
    assert codes(replace(GOOD, asks_personal_story=True)) == ["personal_story"]
    assert codes(replace(GOOD, commitments=frozenset())) == ["no_trauma_informed_commitments"]
    one = frozenset({Commitment.NO_STORY_REQUIRED})
    assert codes(replace(GOOD, commitments=one)) == []


@pytest.mark.parametrize(
    ("concerns", "perspectives", "flagged"),
    [
        ({"sex", "labor"}, {"labor"}, True),
        ({"sex", "labor"}, set(), True),
        ({"sex", "labor"}, {"sex", "labor"}, False),
        ({"labor"}, {"labor"}, False),  # a labor-only project may seek labor perspectives only
    ],
)
def test_both_perspectives_for_projects_on_both_forms(
    concerns: set, perspectives: set, flagged: bool
) -> None:
    terms = replace(GOOD, concerns=frozenset(concerns), perspectives=frozenset(perspectives))
    assert ("one_perspective" in codes(terms)) is flagged


def test_concerns_come_before_suggestions() -> None:
    terms = replace(GOOD, stages=frozenset({Stage.EVALUATION}), paid=False)
    assert codes(terms) == ["unpaid", "evaluation_only"]


def test_the_most_serious_come_first_whatever_order_they_are_found_in() -> None:
    """Suggestions found before concerns still come after them; each group keeps the order of the rules."""
    terms = replace(
        GOOD,
        stages=frozenset({Stage.EVALUATION}),  # a suggestion, found before the two concerns below
        asks_personal_story=True,
        commitments=frozenset(),
        perspectives=frozenset({"sex"}),  # a suggestion, found last
    )
    findings = check_request(terms, MONDAY)
    assert [f.code for f in findings] == [
        "personal_story",
        "no_trauma_informed_commitments",
        "evaluation_only",
        "one_perspective",
    ]
    assert [f.severity for f in findings] == [Severity.CONCERN] * 2 + [Severity.SUGGESTION] * 2


PAY = "Survivors, like any other employee or consultant, should be paid for their time and expertise."
INCEPTION = (
    "Seek survivor input from a project's inception through its completion, "
    "not on final or close-to-final work."
)
TIME = "Avoid tight time constraints that impair the quality of survivor input."
STAGES = "Plan survivor input at every stage: program design, implementation and evaluation."
TRAUMA = "Engage survivors in a trauma-informed way."
DIVERSITY = "Seek diverse survivor perspectives, including both sex and labor trafficking."


@pytest.mark.parametrize(
    ("changes", "code", "severity", "practice", "params"),
    [
        ({"paid": False}, "unpaid", Severity.CONCERN, PAY, {}),
        ({"maturity": Maturity.FINAL}, "late_stage", Severity.CONCERN, INCEPTION, {}),
        (
            {"respond_by": date(2026, 12, 4), "start": None},
            "short_response_time",
            Severity.CONCERN,
            TIME,
            {"n": 4, "min": 10},
        ),
        ({"start": date(2026, 12, 1)}, "early_start", Severity.CONCERN, TIME, {"n": 14}),
        ({"stages": frozenset({Stage.EVALUATION})}, "evaluation_only", Severity.SUGGESTION, STAGES, {}),
        ({"stages": frozenset({Stage.DESIGN})}, "single_stage", Severity.SUGGESTION, STAGES, {}),
        ({"asks_personal_story": True}, "personal_story", Severity.CONCERN, TRAUMA, {}),
        ({"commitments": frozenset()}, "no_trauma_informed_commitments", Severity.CONCERN, TRAUMA, {}),
        ({"perspectives": frozenset({"labor"})}, "one_perspective", Severity.SUGGESTION, DIVERSITY, {}),
    ],
)
def test_each_finding_cites_its_practice_with_its_severity(
    changes: dict[str, Any], code: str, severity: Severity, practice: str, params: dict[str, int]
) -> None:
    """The practice a finding cites is the point of the finding: its words are checked, in English."""
    [finding] = check_request(replace(GOOD, **changes), MONDAY)
    assert (finding.code, finding.severity, finding.practice, finding.params) == (
        code,
        severity,
        practice,
        params,
    )
    assert finding.message == describe(code, params)[0]


def test_the_stored_values_never_change() -> None:
    """Requests keep these values (terms, and each finding's severity, which is also its CSS class); a
    changed value would no longer match the rows already stored."""
    assert {c.value for c in Commitment} == {
        "no_story_required",
        "confidentiality",
        "support_person",
        "flexible_scheduling",
        "accessibility",
        "right_to_withdraw",
    }
    assert [s.value for s in Stage] == ["design", "implementation", "evaluation"]
    assert [m.value for m in Maturity] == ["idea", "early_draft", "near_final", "final"]
    assert [s.value for s in Severity] == ["concern", "suggestion"]
    [finding] = check_request(replace(GOOD, paid=False), MONDAY)
    stored = json.loads(json.dumps(asdict(finding)))
    assert stored["severity"] == "concern" and stored["code"] == "unpaid"
    assert stored_wording(stored) == (finding.message, PAY)


def test_terms_left_out_are_the_least_demanding_except_the_commitments() -> None:
    """Only the stages, maturity, pay and answer date are required; nothing else is assumed in the
    agency's favour except that it does not ask for a personal story."""
    terms = RequestTerms(
        stages=frozenset(Stage), maturity=Maturity.IDEA, paid=True, respond_by=date(2026, 12, 14)
    )
    assert codes(terms) == ["no_trauma_informed_commitments"]
    both = RequestTerms(
        stages=frozenset(Stage),
        maturity=Maturity.IDEA,
        paid=True,
        respond_by=date(2026, 12, 14),
        concerns=frozenset({"sex", "labor"}),
        commitments=frozenset({Commitment.CONFIDENTIALITY}),
    )
    assert codes(both) == ["one_perspective"]  # no perspective named: none sought
    assert Settings() == Settings(min_working_days_to_respond=10, min_days_to_start=14)
    assert Finding("unpaid", Severity.CONCERN, "message", "practice").params == {}


@pytest.mark.parametrize("value", [GOOD, Settings(), check_request(replace(GOOD, paid=False), MONDAY)[0]])
def test_terms_settings_and_findings_cannot_be_changed_afterwards(value: object) -> None:
    import dataclasses

    field_name = dataclasses.fields(value)[0].name  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, field_name, None)


def test_a_stored_finding_is_told_again_from_its_code_and_numbers() -> None:
    stored = {
        "code": "short_response_time",
        "params": {"n": 3, "min": 10},
        "message": "old",
        "practice": "old",
    }
    message, practice = stored_wording(stored)
    assert message.startswith("3 working days to respond (at least 10")
    assert practice == TIME


def test_a_stored_finding_without_its_numbers_or_no_longer_checked_keeps_its_words() -> None:
    assert stored_wording({"code": "short_response_time", "message": "Too soon.", "practice": "Time."}) == (
        "Too soon.",
        "Time.",
    )
    assert stored_wording({"code": "retired_rule", "message": "Old.", "practice": "Older."}) == (
        "Old.",
        "Older.",
    )
    assert stored_wording({"code": "retired_rule"}) == ("", "")
    assert stored_wording({"code": "unpaid", "params": None})[1] == PAY


def test_finding_titles_leave_out_the_numbers() -> None:
    assert finding_title("short_response_time") == "Too little time to respond."
    assert finding_title("early_start") == "The work starts too soon."
    assert finding_title("unpaid") == "The request is unpaid."
    assert finding_title("retired_rule") == "retired rule"


def test_every_finding_is_told_in_the_readers_language(
    app_config: Callable[[str, Path], dict[str, Any]], tmp_path: Path
) -> None:
    """Each message, practice and title has a translation (a changed English message would lose it)."""
    from flask_babel import force_locale

    app = create_app(app_config("sqlite://", tmp_path))  # the catalogs only: no database is touched

    params = {"n": 3, "min": 10}
    with app.test_request_context():
        with force_locale("en"):
            english = {code: (describe(code, params), finding_title(code)) for code in WORDING}
        for language in ("fr", "es", "pt"):
            with force_locale(language):
                for code, ((message, practice), title) in english.items():
                    translated, cited = describe(code, params)
                    assert translated != message and cited != practice, (language, code)
                    assert finding_title(code) != title, (language, code)


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (date(2026, 11, 30), date(2026, 12, 14), 10),
        (date(2026, 11, 27), date(2026, 11, 30), 1),  # Friday to Monday
        (date(2026, 11, 28), date(2026, 11, 29), 0),  # Saturday to Sunday
        (date(2026, 11, 30), date(2026, 11, 30), 0),
        (date(2026, 12, 1), date(2026, 11, 30), 0),
        (date(2026, 11, 30), date(2027, 11, 29), 260),
    ],
)
def test_working_days(first: date, last: date, expected: int) -> None:
    assert working_days_between(first, last) == expected


def test_working_days_agree_with_counting_one_by_one() -> None:
    from datetime import timedelta

    start = date(2026, 1, 1)
    for a in range(0, 40, 3):
        for span in range(0, 60):
            first, last = start + timedelta(days=a), start + timedelta(days=a + span)
            naive = sum(1 for i in range(1, span + 1) if (first + timedelta(days=i)).weekday() < 5)
            assert working_days_between(first, last) == naive
