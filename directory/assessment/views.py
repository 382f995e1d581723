"""The self-assessment pages: the questionnaire, a result (printable), and the history."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from .. import regions
from ..extensions import db
from .questionnaire import ANSWER_LABELS, ANSWERS, SECTIONS, AnswerError, Question, Section, gaps
from .services import AssessmentError, assessment_of, assessments_of, can_assess, save_assessment

bp = Blueprint("assessment", __name__, url_prefix="/assessment")


def _require_owner() -> None:
    """Only members of an organization or agency assess themselves (anyone else: 404)."""
    if not can_assess(current_user):
        abort(404)


@bp.route("", methods=["GET", "POST"])
@login_required
def questionnaire() -> str | Response:
    """Answer the questionnaire; earlier results are listed so progress shows."""
    _require_owner()
    answers = {q.key: request.form.get(q.key, "") for s in SECTIONS for q in s.questions}
    missing: list[str] = []
    if request.method == "POST":
        try:
            item = save_assessment(current_user, answers)
        except AssessmentError as exc:
            flash(str(exc), "error")
        except AnswerError:
            missing = [k for k, v in answers.items() if v not in ANSWERS]
        else:
            db.session.commit()
            return redirect(url_for("assessment.result", assessment_id=item.id))
    return render_template(
        "assessment/questionnaire.html",
        sections=SECTIONS,
        answers=answers,
        answer_labels=ANSWER_LABELS,
        missing=missing,
        history=assessments_of(current_user),
    )


def _region_slug() -> str | None:
    """Where the assessor works, to point gap searches at nearby partners."""
    country = None
    if current_user.agency is not None:
        country = current_user.agency.country_code
    elif current_user.organization is not None and current_user.organization.location is not None:
        country = current_user.organization.location.country_code
    return regions.region_of(country).subregion if country and regions.is_country(country) else None


@dataclass(frozen=True)
class Gap:
    """A gap on the result page with its next step: a search (everywhere, and nearby) or advice."""

    section: Section
    question: Question
    answer: str
    search_url: str | None
    nearby_url: str | None
    region_name: str | None


def _next_step(section: Section, question: Question, answer: str, region: str | None) -> Gap:
    """The gap with links to the search that helps fill it; nearby partners too when the region is known."""
    if question.search is None:
        return Gap(section, question, answer, None, None, None)
    everywhere = url_for("organizations.search_page", **question.search)
    nearby = url_for("organizations.search_page", **question.search, region=region) if region else None
    return Gap(section, question, answer, everywhere, nearby, regions.region_name(region) if region else None)


@bp.get("/<int:assessment_id>")
@login_required
def result(assessment_id: int) -> str:
    """Scores per section and overall, the gaps in words, and the searches that would help fill them."""
    item = assessment_of(current_user, assessment_id)
    if item is None:
        abort(404)
    region = _region_slug()
    found_gaps = [
        _next_step(section, question, answer, region) for section, question, answer in gaps(item.answers)
    ]
    strengths = [(s, q) for s in SECTIONS for q in s.questions if item.answers.get(q.key) == "yes"]
    return render_template(
        "assessment/result.html",
        item=item,
        sections=SECTIONS,
        gaps=found_gaps,
        strengths=strengths,
        answer_labels=ANSWER_LABELS,
    )
