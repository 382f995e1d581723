"""Keeping a completed self-assessment for the person's organization or agency. Services never commit."""

from __future__ import annotations

from typing import Any

from ..accounts import standing
from ..extensions import db
from .models import Assessment
from .questionnaire import score


class AssessmentError(ValueError):
    """The assessment cannot be kept now; the message says why, plainly."""


def save_assessment(user: Any, answers: dict[str, str]) -> Assessment:
    """Score ``answers`` (every question answered, else AnswerError) and keep them for the user's
    organization or agency; refused while that organization or agency is on hold (accounts.standing)."""
    standing.require(user, AssessmentError)
    item = Assessment(
        user_id=user.id,
        agency_id=user.agency_id,
        organization_id=user.organization_id,
        answers=answers,
        scores=score(answers),
    )
    db.session.add(item)
    return item
