"""Figures for the admin dashboard: requests by state and stage, pay, time to respond, acceptance,
the most common findings, and listings by region and focus."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..organizations.models import ListingStatus, Location, Organization, TaxonomyTerm, organization_term
from .checks import working_days_between
from .models import ACCEPTED_STATES, PartnershipRequest, RequestState


@dataclass
class Dashboard:
    total: int
    by_state: list[tuple[str, int]]
    by_stage: list[tuple[str, int]]
    paid_share: float | None
    median_working_days: float | None
    acceptance_rate: float | None
    findings: list[tuple[str, int]]
    listings_by_region: list[tuple[str, int]]
    listings_by_focus: list[tuple[str, int]]


def dashboard() -> Dashboard:
    rows = db.session.execute(
        sa.select(
            PartnershipRequest.state,
            PartnershipRequest.stages,
            PartnershipRequest.paid,
            PartnershipRequest.sent_at,
            PartnershipRequest.respond_by,
            PartnershipRequest.findings,
        )
    ).all()
    states = Counter(r.state.value for r in rows)
    stages = Counter(stage for r in rows for stage in r.stages)
    findings = Counter(f["code"] for r in rows for f in r.findings)
    days = [working_days_between(r.sent_at.date(), r.respond_by) for r in rows if r.sent_at]
    decided = [r for r in rows if r.state in ACCEPTED_STATES or r.state is RequestState.DECLINED]
    accepted = [r for r in decided if r.state in ACCEPTED_STATES]
    public = Organization.status == ListingStatus.APPROVED
    regions = db.session.execute(
        sa.select(Location.region, sa.func.count())
        .join(Organization, Organization.id == Location.organization_id)
        .where(public)
        .group_by(Location.region)
        .order_by(sa.func.count().desc())
    ).all()
    focus = db.session.execute(
        sa.select(TaxonomyTerm.code, sa.func.count())
        .join(organization_term, organization_term.c.taxonomy_term_id == TaxonomyTerm.id)
        .join(Organization, Organization.id == organization_term.c.organization_id)
        .where(public, TaxonomyTerm.taxonomy == "focus")
        .group_by(TaxonomyTerm.code)
        .order_by(sa.func.count().desc())
    ).all()
    return Dashboard(
        total=len(rows),
        by_state=states.most_common(),
        by_stage=stages.most_common(),
        paid_share=(sum(r.paid for r in rows) / len(rows)) if rows else None,
        median_working_days=statistics.median(days) if days else None,
        acceptance_rate=(len(accepted) / len(decided)) if decided else None,
        findings=findings.most_common(10),
        listings_by_region=[(r, n) for r, n in regions],
        listings_by_focus=[(c, n) for c, n in focus],
    )
