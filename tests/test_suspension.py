"""Suspension is total: a suspended account, agency or organization can do nothing, and the other side of a
partnership request sees it (``directory/accounts/standing.py``).

Suspensions are made through the admins' own services and committed, as an admin's request would; the
members' clients are signed in before, so each check is "their next request" on an open session.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from directory.accounts import invitations
from directory.accounts.models import Invitation, User
from directory.accounts.services import AccountError
from directory.admin import services as admin_services
from directory.agencies.models import Agency, AgencyStatus, AgencyType
from directory.agencies.services import AgencyError, AgencyInput, update_agency
from directory.assessment.models import Assessment
from directory.assessment.questionnaire import SECTIONS
from directory.assessment.services import AssessmentError, save_assessment
from directory.db import now_utc
from directory.extensions import db
from directory.geo import get_geo
from directory.organizations import editing
from directory.organizations.models import ListingRevision, ListingStatus, Organization
from directory.organizations.sections import SECTIONS as PROFILE_SECTIONS
from directory.partnerships.models import (
    Notification,
    PartnershipRequest,
    RequestFeedback,
    RequestMessage,
    RequestState,
)
from directory.partnerships.services import (
    RequestError,
    available_moves,
    leave_feedback,
    move,
    other_side,
    post_message,
    send_requests,
    set_accepting,
)

from .conftest import PASSWORD
from .test_partnerships import TODAY, draft
from .test_workspace import form_data

PROFILE = {
    "summary": "Loans and training for women.",
    "leadership_narrative": "Survivors run every programme.",
    "models": ["survivor-founded"],
    "focus": ["micro-finance"],
    "trafficking": ["sex"],
}
ALL_ANSWERED = {q.key: "yes" for s in SECTIONS for q in s.questions}


@pytest.fixture
def app(app: Flask) -> Flask:
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def world(make_org: Callable[..., Organization], make_user: Callable[..., User]) -> dict[str, Any]:
    """A verified agency and a published organization, a request between them (sent) and one completed."""
    agency = Agency(
        name="Labour Ministry",
        agency_type=AgencyType.GOVERNMENT,
        country_code="KE",
        website="https://labour.example",
        status=AgencyStatus.VERIFIED,
    )
    db.session.add(agency)
    db.session.commit()
    org = make_org(name="Douala Circle", **PROFILE)
    officer = make_user("agency_member", email="officer@example.org", agency_id=agency.id)
    ama = make_user("org_member", email="ama@example.org", organization_id=org.id)
    admin = make_user("admin", email="admin@example.org")
    [request] = send_requests(officer, [org], draft(), "open", TODAY)
    [done] = send_requests(officer, [org], draft(title="Done"), "done", TODAY)
    done.state = RequestState.COMPLETED
    db.session.commit()
    return {"agency": agency, "org": org, "officer": officer, "ama": ama, "admin": admin, "request": request}


def sign_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


def suspend_agency(world: dict[str, Any]) -> None:
    admin_services.decide_agency(world["agency"], world["admin"], "suspend", "Impersonation.")
    db.session.commit()


def suspend_org(world: dict[str, Any]) -> None:
    admin_services.decide_listing(world["org"], world["admin"], "suspend", "Reported unsafe.")
    db.session.commit()


def text(response: Any) -> str:
    """The page's text with HTML entities read (so apostrophes match)."""
    return html.unescape(response.get_data(as_text=True))


def flashed(response: Any) -> str:
    """The error messages flashed on the page."""
    return " ".join(re.findall(r'<p class="flash flash-error"[^>]*>([^<]*)</p>', text(response)))


def field_error(response: Any) -> str:
    """The reason a message was refused, shown at its field on the page it came back to (with the text
    that was typed still in it)."""
    found = re.search(r'<p class="[^"]*" id="body-error"[^>]*>([^<]*)</p>', text(response))
    return found.group(1) if found else ""


def mail_to(outbox: Callable[[], list[str]], email: str) -> list[str]:
    return [m for m in outbox() if m.startswith(f"To: {email}")]


def count(model: type, *where: Any) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0)


# --- agencies --------------------------------------------------------------------------------------


def test_a_suspended_agency_cannot_write_move_leave_feedback_or_send(world: dict[str, Any]) -> None:
    suspend_agency(world)
    officer, request = world["officer"], world["request"]
    done = db.session.scalar(sa.select(PartnershipRequest).where(PartnershipRequest.title == "Done"))
    with pytest.raises(RequestError, match="Your agency is suspended"):
        post_message(request, officer, "Still here.")
    with pytest.raises(RequestError, match="Your agency is suspended"):
        move(request, officer, RequestState.WITHDRAWN)
    with pytest.raises(RequestError, match="Your agency is suspended"):
        leave_feedback(done, officer, True, None)
    with pytest.raises(RequestError, match="Your agency is suspended"):
        send_requests(officer, [world["org"]], draft(), "again", TODAY)
    assert available_moves(request, officer) == []
    db.session.rollback()
    assert request.state is RequestState.SENT
    assert count(RequestMessage) == count(RequestFeedback) == 0


def test_a_suspended_agency_cannot_edit_itself_invite_or_assess(world: dict[str, Any]) -> None:
    suspend_agency(world)
    agency, officer = world["agency"], world["officer"]
    renamed = AgencyInput(
        name="Ministry of Labour",
        agency_type=AgencyType.GOVERNMENT,
        country_code="KE",
        website="https://labour.example",
        description="",
    )
    with pytest.raises(AgencyError, match="suspended"):
        update_agency(agency, renamed, officer)
    with pytest.raises(AccountError, match="suspended"):
        invitations.invite(officer, "colleague@example.org")
    with pytest.raises(AssessmentError, match="suspended"):
        save_assessment(officer, ALL_ANSWERED)
    db.session.rollback()
    assert (agency.name, agency.status) == ("Labour Ministry", AgencyStatus.SUSPENDED)  # not "pending"
    assert count(Invitation) == count(Assessment) == 0


def test_an_agency_back_to_pending_reads_its_requests_but_does_not_talk(world: dict[str, Any]) -> None:
    agency, officer, ama, request = world["agency"], world["officer"], world["ama"], world["request"]
    renamed = AgencyInput("Ministry of Labour", AgencyType.GOVERNMENT, "KE", "https://labour.example", "")
    assert update_agency(agency, renamed, officer) is True
    db.session.commit()
    with pytest.raises(RequestError, match="verified agency"):
        post_message(request, officer, "We have a new name.")
    assert available_moves(request, officer) == []
    # The organization may only end the request, and nothing it does reaches the agency.
    assert available_moves(request, ama) == [RequestState.DECLINED]
    with pytest.raises(RequestError, match="verify it again"):
        move(request, ama, RequestState.ACCEPTED)
    assert other_side(request, ama) == []
    move(request, ama, RequestState.DECLINED)
    assert request.state is RequestState.DECLINED


def test_the_organization_can_end_a_request_it_waits_on_or_accepted(world: dict[str, Any]) -> None:
    """From every open state each side has a move that ends the request (so a side on hold never traps
    the other): the organization declines after asking for more information, or after accepting."""
    ama, request = world["ama"], world["request"]
    move(request, ama, RequestState.MORE_INFO)
    move(request, ama, RequestState.DECLINED)
    [second] = send_requests(world["officer"], [world["org"]], draft(), "second", TODAY)
    db.session.commit()
    move(second, ama, RequestState.ACCEPTED)
    move(second, ama, RequestState.DECLINED)
    assert second.state is RequestState.DECLINED


def test_a_draft_is_sent_only_to_an_organization_taking_requests(world: dict[str, Any]) -> None:
    officer, org = world["officer"], world["org"]
    [kept] = send_requests(officer, [org], draft(), "draft", TODAY, as_draft=True)
    set_accepting(org, world["ama"], False)
    db.session.commit()
    with pytest.raises(RequestError, match="not taking requests"):
        move(kept, officer, RequestState.SENT)
    assert kept.state is RequestState.DRAFT


def test_suspending_an_agency_holds_its_open_sessions_at_their_next_request(
    app: Flask, world: dict[str, Any], outbox: Callable[[], list[str]]
) -> None:
    agency_client = sign_in(app, "officer@example.org")
    request_id = world["request"].id
    suspend_agency(world)
    # Still signed in, still reading, told why on every page.
    response = agency_client.get(f"/requests/{request_id}")
    shown = text(response)
    assert response.status_code == 200 and "Your agency is suspended" in shown
    assert 'name="body"' not in shown and 'name="to"' not in shown
    assert agency_client.get("/account").status_code == 200
    refused = agency_client.post(f"/requests/{request_id}/messages", data={"body": "Hello?"})
    assert "Your agency is suspended" in field_error(refused)
    agency_client.post(f"/requests/{request_id}/move", data={"to": "withdrawn", "confirmed": "yes"})
    edited = agency_client.post(
        "/my/agency",
        data={"name": "New Name", "agency_type": "government", "country_code": "KE", "description": ""},
    )
    assert "Your agency is suspended" in flashed(edited)
    invited = agency_client.post("/account/members", data={"email": "colleague@example.org"})
    assert "Your agency is suspended" in text(invited)
    assessed = agency_client.post("/assessment", data=ALL_ANSWERED)
    assert assessed.status_code == 200 and "Your agency is suspended" in flashed(assessed)
    db.session.refresh(world["agency"])
    assert (world["agency"].name, world["agency"].status) == ("Labour Ministry", AgencyStatus.SUSPENDED)
    assert db.session.get(PartnershipRequest, request_id).state is RequestState.SENT
    assert count(RequestMessage) == count(Invitation) == count(Assessment) == 0
    assert mail_to(outbox, "ama@example.org") == mail_to(outbox, "colleague@example.org") == []


def test_the_organization_sees_a_suspended_agency_and_sends_it_nothing(
    app: Flask, world: dict[str, Any], outbox: Callable[[], list[str]]
) -> None:
    member = sign_in(app, "ama@example.org")
    request_id = world["request"].id
    suspend_agency(world)
    mail_before = len(mail_to(outbox, "officer@example.org"))
    shown = text(member.get(f"/requests/{request_id}"))
    assert "This agency is suspended" in shown
    assert 'name="body"' not in shown  # no message is written to it
    assert 'value="declined"' in shown and 'value="accepted"' not in shown  # it can still be ended
    assert "Block this agency" in shown
    listing = text(member.get("/requests"))
    assert re.search(r"Labour Ministry <span class=\"badge badge-hold\">suspended</span>", listing)
    refused = member.post(f"/requests/{request_id}/messages", data={"body": "Are you there?"})
    assert "This agency is suspended" in field_error(refused)
    member.post(f"/requests/{request_id}/move", data={"to": "accepted"})
    assert db.session.get(PartnershipRequest, request_id).state is RequestState.SENT
    member.post(f"/requests/{request_id}/move", data={"to": "declined", "from": "sent", "confirmed": "yes"})
    assert db.session.get(PartnershipRequest, request_id).state is RequestState.DECLINED
    assert count(RequestMessage) == 0
    assert count(Notification, Notification.user_id == world["officer"].id) == 0
    assert len(mail_to(outbox, "officer@example.org")) == mail_before  # no email to its members


# --- organizations ---------------------------------------------------------------------------------


def test_a_suspended_organization_changes_nothing_and_reinstating_shows_what_was_approved(
    app: Flask, world: dict[str, Any], outbox: Callable[[], list[str]]
) -> None:
    org, request_id = world["org"], world["request"].id
    member = sign_in(app, "ama@example.org")
    suspend_org(world)
    held = "Your organization's listing is suspended"
    assert held in text(member.get("/my/organization"))
    edited = member.post("/my/organization/edit/about", data=form_data(org, summary="Unreviewed words."))
    assert held in flashed(edited)
    for url, data in (
        ("/my/organization/submit", {}),
        ("/my/organization/confirm", {}),
        ("/my/organization/requests", {"accepting": "no"}),
        ("/my/organization/unpublish", {}),
    ):
        assert held in flashed(member.post(url, data=data, follow_redirects=True)), url
    for data in ({"to": "accepted"}, {"to": "declined"}):
        assert held in flashed(member.post(f"/requests/{request_id}/move", data=data, follow_redirects=True))
    written = member.post(f"/requests/{request_id}/messages", data={"body": "Hi"})
    assert held in field_error(written)
    blocked = member.post(f"/requests/{request_id}/block", follow_redirects=True)
    assert held in flashed(blocked)
    assert held in text(member.post("/account/members", data={"email": "new@example.org"}))
    db.session.refresh(org)
    assert (org.status, org.summary, org.accepting_requests) == (
        ListingStatus.SUSPENDED,
        PROFILE["summary"],
        True,
    )
    assert db.session.get(PartnershipRequest, request_id).state is RequestState.SENT
    assert count(ListingRevision) == count(RequestMessage) == count(Invitation) == 0
    assert mail_to(outbox, "officer@example.org") == []

    admin_services.decide_listing(org, world["admin"], "reinstate")
    db.session.commit()
    public = app.test_client().get(f"/api/v1/organizations/{org.slug}").json
    assert public["summary"] == PROFILE["summary"]


def test_a_suspension_a_moment_before_a_save_stops_it(world: dict[str, Any]) -> None:
    org = db.session.get(Organization, world["org"].id)
    assert org.status is ListingStatus.APPROVED  # loaded, as the request would
    db.session.execute(sa.text("UPDATE organization SET status = 'suspended' WHERE id = :id"), {"id": org.id})
    changed = editing.input_from_org(org)
    changed.summary = "Unreviewed words."
    about = PROFILE_SECTIONS["about"]
    with pytest.raises(editing.ListingOnHoldError):
        editing.save_section(org, about, changed, 0, world["ama"], get_geo().gazetteer)
    db.session.rollback()
    db.session.refresh(org)
    assert org.summary == PROFILE["summary"] and count(ListingRevision) == 0


def test_the_agency_sees_a_suspended_organization_and_sends_it_nothing(
    app: Flask, world: dict[str, Any], outbox: Callable[[], list[str]]
) -> None:
    agency_client = sign_in(app, "officer@example.org")
    request_id = world["request"].id
    suspend_org(world)
    shown = text(agency_client.get(f"/requests/{request_id}"))
    assert "This organization's listing is suspended" in shown
    assert 'name="body"' not in shown and re.findall(r'name="to" value="(\w+)"', shown) == ["withdrawn"]
    listing = text(agency_client.get("/requests"))
    assert re.search(r"Douala Circle <span class=\"badge badge-hold\">suspended</span>", listing)
    refused = agency_client.post(f"/requests/{request_id}/messages", data={"body": "Hello?"})
    assert "This organization's listing is suspended" in field_error(refused)
    agency_client.post(
        f"/requests/{request_id}/move", data={"to": "withdrawn", "from": "sent", "confirmed": "yes"}
    )
    assert db.session.get(PartnershipRequest, request_id).state is RequestState.WITHDRAWN
    assert count(RequestMessage) == 0
    assert count(Notification, Notification.user_id == world["ama"].id) == 0
    assert mail_to(outbox, "ama@example.org") == []


def test_nobody_joins_a_suspended_organization_through_an_invitation(
    app: Flask, world: dict[str, Any]
) -> None:
    token = invitations.invite(world["ama"], "newcomer@example.org")
    db.session.commit()
    suspend_org(world)
    invitation = invitations.find_invitation(token)
    with pytest.raises(AccountError, match="This organization is suspended"):
        invitations.accept(invitation, "Newcomer", PASSWORD + " again")
    db.session.rollback()
    shown = text(app.test_client().get(f"/invitations/{token}"))
    assert "This organization is suspended" in shown and 'name="password"' not in shown
    assert invitations.find_invitation(token) is not None  # unused: it works once the listing is back
    assert count(User, User.email == "newcomer@example.org") == 0


# --- accounts --------------------------------------------------------------------------------------


def test_a_suspended_admin_stops_at_the_second_factor(app: Flask, make_user: Callable[..., User]) -> None:
    secret = pyotp.random_base32()
    admin = make_user("admin", email="admin@example.org", totp_secret=secret, totp_confirmed_at=now_utc())
    other = make_user("admin", email="other@example.org")
    client = app.test_client()
    assert client.post("/login", data={"email": "admin@example.org", "password": PASSWORD}).location.endswith(
        "/login/second-factor"
    )
    admin_services.set_account_suspended(admin, other, True, "Lost laptop.")
    db.session.commit()
    response = client.post("/login/second-factor", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302 and response.location.endswith("/login")
    assert client.get("/account").status_code == 302
