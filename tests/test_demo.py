"""The demo data: fictional, marked, varied, and the newcomer's first search works."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask.testing import FlaskCliRunner

from directory.audit.models import AuditEntry
from directory.extensions import db
from directory.organizations.importing import demo_inputs
from directory.organizations.models import Location, Organization


def test_seed_demo_loads_about_sixty_marked_organizations(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    orgs = list(db.session.scalars(sa.select(Organization)))
    assert 50 <= len(orgs) <= 70
    assert all(o.is_demo and o.is_public for o in orgs)
    # Published, but nobody checked them: no verification is recorded, and the run is audited.
    assert all(o.assured_date is None for o in orgs)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "listing.seed_demo"))
    assert entry.actor_label == "operator" and entry.after == {"created": len(orgs)}
    regions = set(db.session.scalars(sa.select(Location.region)))
    assert {"africa", "americas", "asia", "europe", "oceania"} <= regions
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "already has organizations" in again.output
    assert db.session.scalar(sa.select(sa.func.count(Organization.id))) == len(orgs)


def test_demo_contacts_are_never_real() -> None:
    for data in demo_inputs():
        if data.email:
            assert data.email.endswith(".example"), data.email
        if data.website:
            assert re.match(r"^https://[a-z0-9-]+\.example/?$", data.website), data.website
        if data.phone:
            assert re.match(
                r"^\+(1 555 01\d\d|1-555-01\d\d|44 20 7946 0\d\d\d|61 491 570 \d\d\d)$", data.phone
            ), data.phone
        assert "survivors' network" not in data.name.lower()


def test_the_newcomers_search_finds_the_cameroonian_micro_finance_organization(
    runner: FlaskCliRunner, client
) -> None:
    runner.invoke(args=["seed-demo"])
    answer = client.get(
        "/api/v1/organizations",
        query_string={"q": "micro-finance", "near": "Douala", "radius_km": 500},
    ).json
    assert answer["total"] >= 1
    first = answer["results"][0]
    assert first["location"]["country"] == "CM"
    assert "micro-finance" in first["focus"]
    profile = client.get(f"/organizations/{first['slug']}").get_data(as_text=True)
    assert "Leadership model" in profile and "micro-financ" in profile.lower()
