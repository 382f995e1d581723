"""Keeping a completed self-assessment for the person's organization or agency. Services never commit."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

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


def _owned_by(user: Any) -> sa.ColumnElement[bool] | None:
    """Assessments belong to the person's agency or organization (None: the person has neither)."""
    if user.agency_id is not None:
        return Assessment.agency_id == user.agency_id
    if user.organization_id is not None:
        return Assessment.organization_id == user.organization_id
    return None


def can_assess(user: Any) -> bool:
    """Whether ``user`` belongs to an organization or agency, whose assessments they keep and see."""
    return _owned_by(user) is not None


def assessments_of(user: Any) -> list[Assessment]:
    """The assessments of ``user``'s organization or agency, newest first (none for anyone else)."""
    owner = _owned_by(user)
    if owner is None:
        return []
    return list(db.session.scalars(sa.select(Assessment).where(owner).order_by(Assessment.id.desc())))


def assessment_of(user: Any, assessment_id: int) -> Assessment | None:
    """One assessment of ``user``'s organization or agency (None: not theirs, or no such assessment)."""
    owner = _owned_by(user)
    if owner is None:
        return None
    return db.session.scalar(sa.select(Assessment).where(Assessment.id == assessment_id, owner))
