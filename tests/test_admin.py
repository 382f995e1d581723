"""Admin vetting: the queue, decisions on listings, revisions and agencies, and the audit log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from directory.accounts.models import User
from directory.agencies.models import Agency, AgencyStatus, AgencyType
from directory.audit.models import AuditEntry
from directory.db import now_utc
from directory.extensions import db
from directory.organizations.models import ListingRevision, ListingStatus, Organization, RevisionStatus

from .conftest import PASSWORD

SECRET = pyotp.random_base32()


@pytest.fixture
def app(app: Flask) -> Flask:
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def admin(app: Flask, make_user: Callable[..., User]) -> FlaskClient:
    make_user("admin", email="admin@example.org", totp_secret=SECRET, totp_confirmed_at=now_utc())
    client = app.test_client()
    client.post("/login", data={"email": "admin@example.org", "password": PASSWORD})
    assert client.post("/login/second-factor", data={"code": pyotp.TOTP(SECRET).now()}).status_code == 302
    return client


@pytest.fixture
def pending_org(make_org: Callable[..., Organization], make_user: Callable[..., User]) -> Organization:
    org = make_org(name="Waiting Circle", status=ListingStatus.PENDING, summary="Loans.")
    org.submitted_at = now_utc() - timedelta(days=20)
    db.session.commit()
    make_user("org_member", email="member@example.org", organization_id=org.id)
    return org


def public_total(client: FlaskClient, q: str) -> int:
    return client.get("/api/v1/organizations", query_string={"q": q}).json["total"]


def test_the_queue_shows_everything_waiting_oldest_first_with_ages(
    admin: FlaskClient, pending_org: Organization, make_org: Callable[..., Organization]
) -> None:
    db.session.add(Agency(name="New Agency", agency_type=AgencyType.BUSINESS, country_code="KE"))
    published = make_org(name="Published One")
    db.session.add(
        ListingRevision(organization_id=published.id, data={}, created_at=now_utc() - timedelta(days=3))
    )
    db.session.commit()
    page = admin.get("/admin/").get_data(as_text=True)
    assert "New listings: 1 · Changes to published listings: 1 · Agencies: 1" in page
    assert page.index("Waiting Circle") < page.index("Published One") < page.index("New Agency")
    assert "20 days" in page and 'class="overdue"' in page


def test_approving_publishes_records_who_verified_and_tells_the_members(
    admin: FlaskClient, pending_org: Organization, outbox
) -> None:
    assert public_total(admin, "waiting circle") == 0
    response = admin.post(
        f"/admin/organizations/{pending_org.id}",
        data={"action": "approve", "checklist": ["registration", "web_presence"]},
    )
    assert response.status_code == 302
    db.session.refresh(pending_org)
    assert pending_org.status is ListingStatus.APPROVED and pending_org.assured_date is not None
    assert public_total(admin, "waiting circle") == 1
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "listing.approve"))
    assert entry.after["checklist"] == ["registration", "web_presence"]
    assert any("To: member@example.org" in m and "approved" in m for m in outbox())


def test_asking_for_changes_needs_a_message_the_organization_sees(
    admin: FlaskClient, pending_org: Organization, outbox
) -> None:
    refused = admin.post(f"/admin/organizations/{pending_org.id}", data={"action": "request_changes"})
    assert refused.status_code == 200 and "needs a message" in refused.get_data(as_text=True)
    db.session.refresh(pending_org)
    assert pending_org.status is ListingStatus.PENDING
    admin.post(
        f"/admin/organizations/{pending_org.id}",
        data={"action": "request_changes", "message": "Please describe your leadership model."},
    )
    db.session.refresh(pending_org)
    assert pending_org.status is ListingStatus.CHANGES_REQUESTED
    assert pending_org.review_message == "Please describe your leadership model."
    assert any("Please describe your leadership model." in m for m in outbox())


def test_rejecting_needs_a_reason(admin: FlaskClient, pending_org: Organization) -> None:
    admin.post(f"/admin/organizations/{pending_org.id}", data={"action": "reject"})
    db.session.refresh(pending_org)
    assert pending_org.status is ListingStatus.PENDING
    admin.post(f"/admin/organizations/{pending_org.id}", data={"action": "reject", "message": "Not found."})
    db.session.refresh(pending_org)
    assert pending_org.status is ListingStatus.REJECTED


def test_a_revision_shows_its_diff_and_approval_publishes_it(
    app: Flask, admin: FlaskClient, make_org: Callable[..., Organization], make_user: Callable[..., User]
) -> None:
    from directory.organizations import editing

    org = make_org(name="Published Circle", summary="Old words.")
    data = editing.input_to_dict(editing.input_from_org(org)) | {"summary": "New words."}
    db.session.add(ListingRevision(organization_id=org.id, data=data))
    db.session.commit()
    page = admin.get(f"/admin/organizations/{org.id}").get_data(as_text=True)
    assert "Proposed changes" in page and "Old words." in page and "New words." in page
    admin.post(f"/admin/organizations/{org.id}", data={"action": "approve", "target": "revision"})
    db.session.refresh(org)
    assert org.summary == "New words." and org.assured_date is not None
    assert db.session.scalar(sa.select(ListingRevision.status)) is RevisionStatus.APPROVED
    assert admin.get(f"/api/v1/organizations/{org.slug}").json["summary"] == "New words."


def test_suspending_hides_a_listing_at_once_and_reinstating_brings_it_back(
    admin: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    org = make_org(name="Suspicious Circle")
    assert public_total(admin, "suspicious") == 1
    admin.post(f"/admin/organizations/{org.id}", data={"action": "suspend", "message": "Reported unsafe."})
    assert public_total(admin, "suspicious") == 0
    admin.post(f"/admin/organizations/{org.id}", data={"action": "reinstate"})
    assert public_total(admin, "suspicious") == 1


def test_agencies_are_verified_or_rejected_with_a_reason(admin: FlaskClient) -> None:
    agency = Agency(name="Labour Ministry", agency_type=AgencyType.GOVERNMENT, country_code="KE")
    db.session.add(agency)
    db.session.commit()
    admin.post(f"/admin/agencies/{agency.id}", data={"action": "reject"})
    db.session.refresh(agency)
    assert agency.status is AgencyStatus.PENDING  # no reason given
    admin.post(f"/admin/agencies/{agency.id}", data={"action": "verify"})
    db.session.refresh(agency)
    assert agency.status is AgencyStatus.VERIFIED


def test_the_audit_log_can_be_browsed_and_filtered(admin: FlaskClient, pending_org: Organization) -> None:
    admin.post(f"/admin/organizations/{pending_org.id}", data={"action": "approve"})
    admin.post(f"/admin/organizations/{pending_org.id}", data={"action": "suspend", "message": "Check."})
    everything = admin.get("/admin/audit").get_data(as_text=True)
    assert "listing.approve" in everything and "listing.suspend" in everything
    filtered = admin.get("/admin/audit", query_string={"action": "listing.sus"}).get_data(as_text=True)
    assert "listing.suspend" in filtered and "listing.approve" not in filtered
    assert admin.get("/admin/audit?page=abc").status_code == 400


def test_stale_listings_are_listed_for_admins(
    admin: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    org = make_org(name="Old Circle")
    org.assured_date = now_utc() - timedelta(days=400)
    db.session.commit()
    page = admin.get("/admin/").get_data(as_text=True)
    assert "Listings needing re-verification" in page and "Old Circle" in page


def test_an_agency_that_changes_who_it_is_is_verified_again(
    app: Flask, make_user: Callable[..., User], make_org: Callable[..., Organization]
) -> None:
    agency = Agency(
        name="Labour Ministry",
        agency_type=AgencyType.GOVERNMENT,
        country_code="KE",
        website="https://labour.example",
        description="Inspections.",
        status=AgencyStatus.VERIFIED,
    )
    db.session.add(agency)
    db.session.commit()
    make_user("agency_member", email="officer@example.org", agency_id=agency.id)
    org = make_org(name="Private Circle", email="team@private.example", email_visibility="verified_agencies")
    client = app.test_client()
    client.post("/login", data={"email": "officer@example.org", "password": PASSWORD})
    assert "team@private.example" in client.get(f"/organizations/{org.slug}").get_data(as_text=True)
    form = {
        "name": "Labour Ministry",
        "agency_type": "government",
        "country_code": "KE",
        "website": "https://labour.example",
        "description": "Inspections and referrals.",
    }
    client.post("/my/agency", data=form)
    db.session.refresh(agency)
    assert agency.status is AgencyStatus.VERIFIED  # the description alone needs no new check
    client.post("/my/agency", data={**form, "website": "https://other.example"})
    db.session.refresh(agency)
    assert agency.status is AgencyStatus.PENDING
    assert "team@private.example" not in client.get(f"/organizations/{org.slug}").get_data(as_text=True)
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "agency.update").order_by(AuditEntry.id.desc())
    )
    assert entry.before == {"website": "https://labour.example"} and entry.after["status"] == "pending"


def test_suspending_an_account_ends_its_sessions_at_once(
    app: Flask, admin: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user("org_member", email="member@example.org")
    member = app.test_client()
    member.post("/login", data={"email": "member@example.org", "password": PASSWORD})
    assert member.get("/account").status_code == 200
    refused = admin.post("/admin/users", data={"email": "member@example.org", "action": "suspend"})
    assert "needs a reason" in refused.get_data(as_text=True)
    admin.post(
        "/admin/users", data={"email": "member@example.org", "action": "suspend", "message": "Impostor."}
    )
    assert member.get("/account").status_code == 302  # the old cookie no longer works
    again = app.test_client().post("/login", data={"email": "member@example.org", "password": PASSWORD})
    assert "do not match" in again.get_data(as_text=True)
    admin.post("/admin/users", data={"email": "member@example.org", "action": "reinstate"})
    back = app.test_client().post("/login", data={"email": "member@example.org", "password": PASSWORD})
    assert back.status_code == 302
