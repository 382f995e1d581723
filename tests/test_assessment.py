"""The survivor-informed self-assessment: scoring, gaps leading to searches, history, privacy."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from werkzeug.datastructures import MultiDict

from directory.accounts.models import User
from directory.agencies.models import Agency, AgencyStatus, AgencyType
from directory.assessment.questionnaire import SECTIONS, AnswerError, gaps, score
from directory.extensions import db

from .conftest import PASSWORD

ALL_KEYS = [q.key for s in SECTIONS for q in s.questions]


def test_scores_per_section_and_overall() -> None:
    answers = dict.fromkeys(ALL_KEYS, "yes")
    assert score(answers) == {**{s.key: 100 for s in SECTIONS}, "overall": 100}
    answers["staff"], answers["consultants"], answers["trainers"] = "no", "partly", "no"
    result = score(answers)
    assert result["paid_employment"] == 17  # 1 point of 6
    assert result["overall"] == round((100 * 5 + 17) / 6)
    with pytest.raises(AnswerError):
        score({**answers, "staff": "maybe"})
    with pytest.raises(AnswerError):
        score({k: v for k, v in answers.items() if k != "evaluation"})


def test_gaps_are_the_no_and_partly_answers_in_order(app: Flask) -> None:
    answers = dict.fromkeys(ALL_KEYS, "yes") | {"labor_perspective": "no", "evaluation": "partly"}
    assert [(q.key, a) for _s, q, a in gaps(answers)] == [
        ("labor_perspective", "no"),
        ("evaluation", "partly"),
    ]


def test_an_agency_assesses_itself_and_each_gap_leads_to_partners_nearby(
    app: Flask, make_user: Callable[..., User]
) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    agency = Agency(
        name="Ministry", agency_type=AgencyType.GOVERNMENT, country_code="KE", status=AgencyStatus.VERIFIED
    )
    db.session.add(agency)
    db.session.commit()
    make_user("agency_member", email="officer@example.org", agency_id=agency.id)
    client = app.test_client()
    client.post("/login", data={"email": "officer@example.org", "password": PASSWORD})
    incomplete = client.post("/assessment", data={"staff": "yes"})
    assert incomplete.status_code == 200 and "Please answer every question." in incomplete.get_data(
        as_text=True
    )
    answers = dict.fromkeys(ALL_KEYS, "yes") | {"labor_perspective": "no"}
    response = client.post("/assessment", data=answers)
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "Overall: 94% survivor-informed" in page
    assert "labor trafficking" in page
    assert "/organizations?trafficking=labor&amp;region=eastern-africa" in page  # Kenya: Eastern Africa
    client.post("/assessment", data=dict.fromkeys(ALL_KEYS, "yes"))
    history = client.get("/assessment").get_data(as_text=True)
    assert "94%" in history and "100%" in history  # progress shows
    stranger = app.test_client()
    make_user("org_member", email="ama@example.org")
    stranger.post("/login", data={"email": "ama@example.org", "password": PASSWORD})
    assert stranger.get(response.location).status_code == 404


def test_every_question_names_one_next_step_and_every_search_is_a_valid_one(app: Flask) -> None:
    from directory.assessment.questionnaire import Question
    from directory.search import parse_params

    with pytest.raises(ValueError, match="exactly one next step"):
        Question("x", "text")
    with pytest.raises(ValueError, match="exactly one next step"):
        Question("x", "text", {"service": "training"}, advice="Do this.")
    searches = {q.key: q.search for s in SECTIONS for q in s.questions if q.search}
    for key, search in searches.items():
        params = parse_params(MultiDict(search), app.config)  # a bad slug would raise SearchParamError
        assert params.filters, key
    # paid roles lead to the matching engagement type; perspectives to the trafficking type
    assert searches["staff"] == {"engagement": "staff-position"}
    assert searches["consultants"] == {"engagement": "consultant"}
    assert searches["trainers"] == {"engagement": "trainer"}
    assert searches["labor_perspective"] == {"trafficking": "labor"}


def test_every_gap_has_a_next_step_and_each_search_finds_demo_partners(
    app: Flask, runner: FlaskCliRunner, make_user: Callable[..., User]
) -> None:
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    app.config["WTF_CSRF_ENABLED"] = False
    agency = Agency(
        name="Ministry", agency_type=AgencyType.GOVERNMENT, country_code="CM", status=AgencyStatus.VERIFIED
    )
    db.session.add(agency)
    db.session.commit()
    make_user("agency_member", email="officer@example.org", agency_id=agency.id)
    client = app.test_client()
    client.post("/login", data={"email": "officer@example.org", "password": PASSWORD})
    response = client.post("/assessment", data=dict.fromkeys(ALL_KEYS, "no"))
    page = client.get(response.location).get_data(as_text=True)
    gap_items = re.findall(r"<li><strong>.*?</li>", page.split('<ul class="gaps">')[1], re.S)
    assert len(gap_items) == len(ALL_KEYS)
    searches = [re.search(r'<a class="next-step" href="([^"]+)"', item) for item in gap_items]
    advice = ["Next step: " in item for item in gap_items]
    assert all(bool(s) != a for s, a in zip(searches, advice, strict=True))  # one next step each
    assert "Next step: Ask for expertise, not stories" in page
    assert "Only partners in Middle Africa" in page  # Cameroon's sub-region, as a second link
    for found in filter(None, searches):
        url = html.unescape(found.group(1))
        results = client.get(url)
        assert results.status_code == 200, url
        assert re.search(
            r'<h2 id="results-heading">\s*[1-9]\d* organization', results.get_data(as_text=True)
        ), url


def test_each_organization_or_agency_reads_only_its_own_assessments(
    app: Flask, make_user: Callable[..., User], make_org
) -> None:
    from directory.assessment.services import assessment_of, assessments_of, can_assess, save_assessment

    mine, theirs = make_org(name="Circle A"), make_org(name="Circle B")
    ama = make_user("org_member", email="ama@example.org", organization_id=mine.id)
    bea = make_user("org_member", email="bea@example.org", organization_id=theirs.id)
    admin = make_user("admin", email="admin@example.org")
    first = save_assessment(ama, dict.fromkeys(ALL_KEYS, "no"))
    second = save_assessment(ama, dict.fromkeys(ALL_KEYS, "yes"))
    db.session.commit()
    assert assessments_of(ama) == [second, first]  # newest first
    assert assessment_of(ama, first.id) == first
    assert assessments_of(bea) == [] and assessment_of(bea, first.id) is None
    assert not can_assess(admin) and assessments_of(admin) == [] and assessment_of(admin, first.id) is None
