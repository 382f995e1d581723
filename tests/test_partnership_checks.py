"""The survivor-informed check on partnership requests: every rule, with its boundaries."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from flask import Flask

from directory.partnerships.checks import (
    Commitment,
    Maturity,
    RequestTerms,
    Settings,
    Severity,
    Stage,
    check_request,
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


@pytest.fixture(autouse=True)
def _app(app: Flask) -> None:
    """The messages are translatable strings: they need an application context."""


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
