"""Admin vetting: the queue, decisions on listings, revisions and agencies, and the audit log."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from directory.accounts.models import User
from directory.admin import services as admin_services
from directory.admin.services import CHECKLIST
from directory.agencies.models import Agency, AgencyStatus, AgencyType
from directory.audit.models import AuditEntry
from directory.audit.services import record
from directory.db import now_utc
from directory.extensions import db
from directory.organizations.models import ListingRevision, ListingStatus, Organization, RevisionStatus

from .conftest import PASSWORD

SECRET = pyotp.random_base32()
#: Every item of the vetting checklist ticked.
ALL_CHECKED = list(CHECKLIST)


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
    confirmed = make_org(name="Still Correct Circle")
    confirmed.reverify_requested_at = now_utc() - timedelta(days=10)
    db.session.commit()
    page = admin.get("/admin/").get_data(as_text=True)
    assert (
        "New listings: 1 · Changes to published listings: 1 · Confirmed as still correct: 1 · Agencies: 1"
        in page
    )
    assert (
        page.index("Waiting Circle")
        < page.index("Still Correct Circle")
        < page.index("Published One")
        < page.index("New Agency")
    )
    assert "20 days" in page and 'class="overdue"' in page


def test_approving_publishes_records_who_verified_and_tells_the_members(
    admin: FlaskClient, pending_org: Organization, outbox
) -> None:
    assert public_total(admin, "waiting circle") == 0
    response = admin.post(
        f"/admin/organizations/{pending_org.id}",
        data={"action": "approve", "checklist": ALL_CHECKED},
    )
    assert response.status_code == 302
    db.session.refresh(pending_org)
    assert pending_org.status is ListingStatus.APPROVED and pending_org.assured_date is not None
    assert public_total(admin, "waiting circle") == 1
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "listing.approve"))
    assert entry.after["checklist"] == ALL_CHECKED and entry.after["unchecked"] == {}
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
    data = editing.input_to_dict(editing.input_from_org(org)) | {
        "summary": "New words.",
        "languages": ["fr", "dua"],
        "serves": ["CM", "NG"],
    }
    db.session.add(ListingRevision(organization_id=org.id, data=data))
    db.session.commit()
    page = admin.get(f"/admin/organizations/{org.id}").get_data(as_text=True)
    assert "Proposed changes" in page and "Old words." in page and "New words." in page
    # languages and countries by name, never by code
    assert re.search(r'<th scope="row">Languages</th>\s*<td></td>\s*<td>French, Duala</td>', page)
    serves = r'<th scope="row">Countries you serve</th>\s*<td>Cameroon</td>\s*<td>Cameroon, Nigeria</td>'
    assert re.search(serves, page)
    refused = admin.post(f"/admin/organizations/{org.id}", data={"action": "approve", "target": "revision"})
    assert refused.status_code == 200 and "Tick this item, or write why" in refused.get_data(as_text=True)
    db.session.refresh(org)
    assert org.summary == "Old words."
    admin.post(
        f"/admin/organizations/{org.id}",
        data={"action": "approve", "target": "revision", "checklist": ALL_CHECKED},
    )
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


def test_agencies_are_verified_or_rejected_with_a_reason(
    admin: FlaskClient, make_user: Callable[..., User]
) -> None:
    agency = Agency(name="Labour Ministry", agency_type=AgencyType.GOVERNMENT, country_code="KE")
    db.session.add(agency)
    db.session.commit()
    make_user("agency_member", agency_id=agency.id)
    admin.post(f"/admin/agencies/{agency.id}", data={"action": "reject"})
    db.session.refresh(agency)
    assert agency.status is AgencyStatus.PENDING  # no reason given
    admin.post(f"/admin/agencies/{agency.id}", data={"action": "verify"})
    db.session.refresh(agency)
    assert agency.status is AgencyStatus.VERIFIED


def test_the_audit_log_can_be_browsed_and_filtered(admin: FlaskClient, pending_org: Organization) -> None:
    admin.post(f"/admin/organizations/{pending_org.id}", data={"action": "approve", "checklist": ALL_CHECKED})
    admin.post(f"/admin/organizations/{pending_org.id}", data={"action": "suspend", "message": "Check."})
    everything = admin.get("/admin/audit").get_data(as_text=True)
    assert "listing.approve" in everything and "listing.suspend" in everything
    filtered = admin.get("/admin/audit", query_string={"action": "listing.sus"}).get_data(as_text=True)
    assert "listing.suspend" in filtered and "listing.approve" not in filtered
    assert admin.get("/admin/audit?page=abc").status_code == 400


def test_the_admin_pages_read_through_services(
    make_user: Callable[..., User], make_org: Callable[..., Organization]
) -> None:
    """The history on a review page, the audit log's filters, the account lookup and the queue's counts."""
    boss = make_user("admin", email="boss@example.org")
    org = make_org(name="Circle")
    for step in ("one", "two", "three"):
        record(boss, f"listing.{step}", "organization", org.id)
    record(boss, "agency.verify", "agency", org.id)
    entry = record(None, "listing_x", "organization", org.id)  # "_" is no wildcard in a filter
    db.session.commit()
    assert [e.action for e in admin_services.listing_history(org, limit=2)] == ["listing_x", "listing.three"]

    def actions(**filters: str) -> list[str]:
        return [e.action for e in db.session.scalars(admin_services.audit_entries(**filters))]

    assert actions(action="listing_") == ["listing_x"]
    assert actions(action=" listing.t", target_type="organization ") == ["listing.three", "listing.two"]
    assert actions(target_type="agency") == ["agency.verify"]
    assert actions(actor=entry.actor_label) == ["listing_x"]
    assert admin_services.account_by_email("boss@example.org") == boss
    assert admin_services.account_by_email("nobody@example.org") is None
    assert admin_services.queue_counts([]) == dict.fromkeys(admin_services.QUEUE_KINDS, 0)


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


def test_approval_needs_every_checklist_item_ticked_or_explained(
    admin: FlaskClient, pending_org: Organization
) -> None:
    url = f"/admin/organizations/{pending_org.id}"
    refused = admin.post(url, data={"action": "approve"}).get_data(as_text=True)
    # each unexplained item has its error at its own reason field
    for item in CHECKLIST:
        assert re.search(
            rf'id="reason_{item}-error">Tick this item, or write why it was not checked.<', refused
        )
        assert f'href="#reason_{item}"' in refused  # and in the summary at the top
    assert 'id="reason_safety" name="reason_safety"' in refused and 'aria-invalid="true"' in refused
    partly = admin.post(url, data={"action": "approve", "checklist": ALL_CHECKED[:-1]})
    assert partly.status_code == 200
    db.session.refresh(pending_org)
    assert pending_org.status is ListingStatus.PENDING and pending_org.assured_date is None
    reason = "The founder asked us to keep the shelter's location hidden; checked by phone."
    approved = admin.post(
        url, data={"action": "approve", "checklist": ALL_CHECKED[:-1], f"reason_{ALL_CHECKED[-1]}": reason}
    )
    assert approved.status_code == 302
    db.session.refresh(pending_org)
    assert pending_org.status is ListingStatus.APPROVED
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "listing.approve"))
    assert entry.after["checklist"] == ALL_CHECKED[:-1]
    assert entry.after["unchecked"] == {ALL_CHECKED[-1]: reason}


def test_the_review_page_shows_everything_the_public_and_agencies_will_see(
    admin: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    org = make_org(
        name="Full Circle",
        status=ListingStatus.PENDING,
        trafficking=["labor"],
        services=["program-design-review"],
        engagements=["evaluator"],
        languages=["fr", "ff"],
        serves=["NE", "TD"],
        email="desk@full.example",
        email_visibility="after_accept",
        phone="+1 555 0100",
        phone_visibility="public",
        location_precision="country",
    )
    page = admin.get(f"/admin/organizations/{org.id}").get_data(as_text=True)
    for shown in (
        "Labor trafficking",
        "Program design review",
        "Evaluator",
        "French",
        "Fula",
        "Niger",
        "Chad",
        "desk@full.example — shown to: only agencies whose request it accepted",
        "+1 555 0100 — shown to: everyone",
        "the public sees the country only",
    ):
        assert shown in page, shown
    # a revision: the listing as it will be once approved, beside the diff
    from directory.organizations import editing

    org.status = ListingStatus.APPROVED
    data = editing.input_to_dict(editing.input_from_org(org)) | {"phone": "+1 555 0199", "serves": ["ML"]}
    db.session.add(ListingRevision(organization_id=org.id, data=data))
    db.session.commit()
    page = admin.get(f"/admin/organizations/{org.id}").get_data(as_text=True)
    assert "Proposed changes" in page and "+1 555 0199 — shown to: everyone" in page and "Mali" in page


def test_an_admin_re_verifies_a_published_listing(
    admin: FlaskClient, make_org: Callable[..., Organization], make_user: Callable[..., User], outbox
) -> None:
    org = make_org(name="Year Old Circle")
    make_user("org_member", email="keeper@example.org", organization_id=org.id)
    org.assured_date = now_utc() - timedelta(days=400)
    org.reverify_requested_at = now_utc() - timedelta(days=2)
    db.session.commit()
    old = org.assured_date
    page = admin.get(f"/admin/organizations/{org.id}").get_data(as_text=True)
    assert "needs re-verification" in page and 'value="reverify"' in page
    refused = admin.post(f"/admin/organizations/{org.id}", data={"action": "reverify"})
    assert "Tick this item" in refused.get_data(as_text=True)
    db.session.refresh(org)
    assert org.assured_date == old
    done = admin.post(f"/admin/organizations/{org.id}", data={"action": "reverify", "checklist": ALL_CHECKED})
    assert done.status_code == 302
    db.session.refresh(org)
    admin_id = db.session.scalar(sa.select(User.id).where(User.email == "admin@example.org"))
    assert org.assured_date > old and org.assurer_id == admin_id and org.reverify_requested_at is None
    assert org.status is ListingStatus.APPROVED and not org.needs_reverification()
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "listing.reverify"))
    assert entry.before["assured_date"] == old.isoformat() and entry.after["checklist"] == ALL_CHECKED
    assert any("keeper@example.org" in m and "verified again" in m for m in outbox())
    assert "Confirmed as still correct: 0" in admin.get("/admin/").get_data(as_text=True)


def test_only_a_published_listing_is_re_verified(admin: FlaskClient, pending_org: Organization) -> None:
    page = admin.post(
        f"/admin/organizations/{pending_org.id}", data={"action": "reverify", "checklist": ALL_CHECKED}
    ).get_data(as_text=True)
    assert "only a published listing can be re-verified" in page
    db.session.refresh(pending_org)
    assert pending_org.assured_date is None


def test_the_agency_review_shows_who_registered_and_emails_the_decision(
    admin: FlaskClient, make_user: Callable[..., User], outbox
) -> None:
    agency = Agency(name="Port Authority", agency_type=AgencyType.INTERNATIONAL, country_code="KE")
    db.session.add(agency)
    db.session.commit()
    officer = make_user(
        "agency_member", email="officer@port.example", display_name="Wanjiru K.", agency_id=agency.id
    )
    officer.email_confirmed_at = None
    db.session.commit()
    page = admin.get(f"/admin/agencies/{agency.id}").get_data(as_text=True)
    assert "Wanjiru K." in page and "officer@port.example" in page and "registered the agency" in page
    assert "International organization" in page and "international_organization" not in page
    refused = admin.post(f"/admin/agencies/{agency.id}", data={"action": "verify"}).get_data(as_text=True)
    assert "nobody at this agency has confirmed their email address yet" in refused
    db.session.refresh(agency)
    assert agency.status is AgencyStatus.PENDING and outbox() == []
    officer.email_confirmed_at = now_utc()
    db.session.commit()
    assert admin.post(f"/admin/agencies/{agency.id}", data={"action": "verify"}).status_code == 302
    db.session.refresh(agency)
    assert agency.status is AgencyStatus.VERIFIED
    [verified] = outbox()
    assert "To: officer@port.example" in verified and "has verified your agency" in verified
    admin.post(f"/admin/agencies/{agency.id}", data={"action": "suspend", "message": "Impersonation."})
    assert "Impersonation." in outbox()[-1] and "suspended your agency" in outbox()[-1]


def test_a_rejected_agency_is_told(admin: FlaskClient, make_user: Callable[..., User], outbox) -> None:
    agency = Agency(name="Unknown Office", agency_type=AgencyType.BUSINESS, country_code="KE")
    db.session.add(agency)
    db.session.commit()
    make_user("agency_member", email="desk@unknown.example", agency_id=agency.id)
    admin.post(f"/admin/agencies/{agency.id}", data={"action": "reject", "message": "No such company."})
    [message] = outbox()
    assert (
        "To: desk@unknown.example" in message and "not to verify" in message and "No such company." in message
    )


def test_the_agency_type_labels_cover_every_type() -> None:
    from directory.labels import AGENCY_TYPE_LABELS

    assert set(AGENCY_TYPE_LABELS) == {kind.value for kind in AgencyType}


def test_an_admin_approves_only_the_version_they_read(admin: FlaskClient, pending_org: Organization) -> None:
    page = admin.get(f"/admin/organizations/{pending_org.id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    # the organization saves its pending listing after the admin opened the page
    db.session.execute(
        sa.update(Organization)
        .where(Organization.id == pending_org.id)
        .values(summary="Now something else.", edit_version=Organization.edit_version + 1)
    )
    db.session.commit()
    form = {"action": "approve", "checklist": ALL_CHECKED, "seen": "pending", "version": version}
    refused = admin.post(f"/admin/organizations/{pending_org.id}", data=form).get_data(as_text=True)
    assert "the listing changed since you opened it" in refused
    db.session.refresh(pending_org)
    assert pending_org.status is ListingStatus.PENDING and pending_org.assured_date is None


def test_a_second_click_on_re_verify_records_nothing_more(
    admin: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    org = make_org(name="Twice Circle")
    form = {"action": "reverify", "checklist": ALL_CHECKED, "seen": "approved", "version": org.edit_version}
    assert admin.post(f"/admin/organizations/{org.id}", data=form).status_code == 302
    again = admin.post(f"/admin/organizations/{org.id}", data=form)  # the same form, sent again
    assert again.status_code == 200 and "look at it again" in again.get_data(as_text=True)
    count = sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "listing.reverify")
    assert db.session.scalar(count) == 1
