"""Every read-modify-write decided by the database: the race, made deterministic.

Each test loads what a request would load, then lets "another request" write in between, on the same
connection so it works inside the PostgreSQL test transaction too: either before the service is called
(``underneath``: the loaded objects keep what they had, as in a request that read a moment earlier), or
at the very moment the service is about to write (``just_before``: the window between a check and its
write). The service must then refuse, or do nothing twice, and write nothing of its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from directory.accounts import invitations, two_factor
from directory.accounts.models import Invitation, RecoveryCode, User
from directory.accounts.services import AccountError
from directory.admin import services as admin
from directory.agencies.models import Agency, AgencyStatus, AgencyType
from directory.agencies.services import AgencyInput, update_agency
from directory.audit.models import AuditEntry
from directory.db import now_utc
from directory.extensions import db
from directory.geo import get_geo
from directory.organizations import editing
from directory.organizations.models import ListingRevision, ListingStatus, Organization, RevisionStatus
from directory.organizations.sections import SECTIONS
from directory.partnerships.models import (
    AgencyBlock,
    Notification,
    PartnershipRequest,
    RequestEvent,
    RequestFeedback,
    RequestState,
)
from directory.partnerships.services import (
    RequestError,
    block_agency,
    leave_feedback,
    move,
    send_requests,
)
from directory.reports.models import Report, ReportReason, ReportStatus
from directory.reports.services import decide_report

from .conftest import PASSWORD
from .test_partnerships import TODAY, draft


@pytest.fixture
def app(app: Flask) -> Flask:
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def underneath(sql: str, **params: Any) -> None:
    """Another request's write, made after this one loaded its objects (which keep their old values)."""
    db.session.execute(sa.text(sql), params)


@contextmanager
def just_before(statement_start: str, competing: sa.Executable) -> Iterator[list[str]]:
    """Run ``competing`` right before this session's next statement starting with ``statement_start``:
    another request writing between this one's check and its write."""
    bind = db.session.connection()
    sql = str(competing.compile(dialect=bind.dialect, compile_kwargs={"literal_binds": True}))
    fired: list[str] = []

    def hook(_conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if not fired and statement.lstrip().upper().startswith(statement_start.upper()):
            fired.append(statement)
            other = cursor.connection.cursor()
            other.execute(sql)
            other.close()

    sa.event.listen(bind, "before_cursor_execute", hook)
    try:
        yield fired
    finally:
        sa.event.remove(bind, "before_cursor_execute", hook)


def count(model: type, *where: Any) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0)


def column(sql: str, **params: Any) -> Any:
    return db.session.execute(sa.text(sql), params).scalar()


PROFILE = {
    "summary": "Loans and training for women.",
    "leadership_narrative": "Survivors run every programme.",
    "models": ["survivor-founded"],
    "focus": ["micro-finance"],
    "trafficking": ["sex"],
}


@pytest.fixture
def member(make_org: Callable[..., Organization], make_user: Callable[..., User]) -> Callable[..., Any]:
    def make(status: ListingStatus) -> tuple[Organization, User]:
        org = make_org(name="Douala Circle", status=status, **PROFILE)
        user = make_user("org_member", email="ama@example.org", organization_id=org.id)
        org = db.session.get(Organization, org.id)
        assert org is not None and org.edit_version == 1  # loaded, as the request would
        return org, user

    return make


# --- profile saves ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [ListingStatus.DRAFT, ListingStatus.APPROVED])
def test_a_save_that_lost_the_race_writes_nothing_and_gets_both_versions(member, status) -> None:
    org, user = member(status)
    mine = dataclasses.replace(editing.input_from_org(org), summary="Mine.")
    audited = count(AuditEntry)
    underneath(
        "INSERT INTO listing_section (organization_id, section, version) VALUES (:id, 'about', 1)",
        id=org.id,
    )
    underneath("UPDATE organization SET summary = 'Theirs.' WHERE id = :id", id=org.id)
    with pytest.raises(editing.EditConflictError) as lost:
        editing.save_section(org, SECTIONS["about"], mine, 0, user, get_geo().gazetteer)
    db.session.rollback()  # as the view does: the save's take on the listing is undone
    assert lost.value.theirs.summary == "Theirs." and lost.value.yours.summary == "Mine."
    assert lost.value.version == 1  # the form to save again carries the version saved now
    assert column("SELECT summary FROM organization WHERE id = :id", id=org.id) == PROFILE["summary"]
    assert count(AuditEntry) == audited and count(ListingRevision) == 0


def test_a_listing_has_at_most_one_pending_revision(member) -> None:
    org, _user = member(ListingStatus.APPROVED)
    db.session.add_all(ListingRevision(organization_id=org.id, data={}) for _ in range(2))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
    # withdrawn and decided revisions are history: as many as there were
    db.session.add_all(
        ListingRevision(organization_id=org.id, data={}, status=RevisionStatus.WITHDRAWN) for _ in range(2)
    )
    db.session.add(ListingRevision(organization_id=org.id, data={}))
    db.session.flush()


def test_a_new_save_of_a_section_updates_the_pending_revision(member) -> None:
    org, user = member(ListingStatus.APPROVED)
    gazetteer = get_geo().gazetteer
    for version, words in ((0, "First."), (1, "Second.")):
        data = dataclasses.replace(editing.input_from_org(org), summary=words)
        editing.save_section(org, SECTIONS["about"], data, version, user, gazetteer)
        db.session.flush()
    pending = db.session.scalars(
        sa.select(ListingRevision).where(ListingRevision.status == RevisionStatus.PENDING)
    ).all()
    assert [r.data["summary"] for r in pending] == ["Second."]


def test_submitting_a_listing_someone_else_just_submitted_is_refused(member) -> None:
    org, user = member(ListingStatus.DRAFT)
    audited = count(AuditEntry)
    underneath("UPDATE organization SET status = 'pending' WHERE id = :id", id=org.id)
    with pytest.raises(editing.ListingStateError):
        editing.submit_for_review(org, user)
    assert count(AuditEntry) == audited


# --- admin decisions -------------------------------------------------------------------------------


EVERYTHING_CHECKED = admin.Checklist.of(list(admin.CHECKLIST))


@pytest.fixture
def an_admin(make_user: Callable[..., User]) -> User:
    return make_user("admin", email="admin@example.org")


def test_a_listing_decision_someone_else_just_took_is_refused(member, an_admin: User) -> None:
    org, _user = member(ListingStatus.PENDING)
    audited = count(AuditEntry)
    underneath("UPDATE organization SET status = 'approved' WHERE id = :id", id=org.id)
    with pytest.raises(admin.DecisionError, match="already decided"):
        admin.decide_listing(org, an_admin, "reject", "Not survivor-led.", seen=ListingStatus.PENDING)
    assert column("SELECT status FROM organization WHERE id = :id", id=org.id) == "approved"
    assert count(AuditEntry) == audited


def test_a_revision_withdrawn_or_decided_a_moment_ago_is_not_decided_again(member, an_admin: User) -> None:
    org, _user = member(ListingStatus.APPROVED)
    data = editing.input_to_dict(dataclasses.replace(editing.input_from_org(org), summary="Proposed."))
    revision = ListingRevision(organization_id=org.id, data=data)
    db.session.add(revision)
    db.session.commit()
    assert revision.status is RevisionStatus.PENDING  # loaded
    audited = count(AuditEntry)
    underneath("UPDATE listing_revision SET status = 'withdrawn' WHERE id = :id", id=revision.id)
    with pytest.raises(admin.DecisionError, match="already decided"):
        admin.decide_revision(
            revision, an_admin, "approve", get_geo().gazetteer, checklist=EVERYTHING_CHECKED
        )
    assert column("SELECT summary FROM organization WHERE id = :id", id=org.id) == PROFILE["summary"]
    assert count(AuditEntry) == audited


def test_an_agency_decision_someone_else_just_took_is_refused(an_admin: User) -> None:
    agency = Agency(name="Ministry", agency_type=AgencyType.GOVERNMENT, country_code="KE")
    db.session.add(agency)
    db.session.commit()
    assert agency.status is AgencyStatus.PENDING
    audited = count(AuditEntry)
    underneath("UPDATE agency SET status = 'verified' WHERE id = :id", id=agency.id)
    with pytest.raises(admin.DecisionError, match="already decided"):
        admin.decide_agency(agency, an_admin, "reject", "Unknown.", seen=AgencyStatus.PENDING)
    assert column("SELECT status FROM agency WHERE id = :id", id=agency.id) == "verified"
    assert count(AuditEntry) == audited
    # deciding what is already so is refused too (a second click without the form's status)
    with pytest.raises(admin.DecisionError, match="already decided"):
        admin.decide_agency(db.session.get(Agency, agency.id), an_admin, "verify")


def test_a_report_decided_a_moment_ago_is_not_decided_again(member, an_admin: User) -> None:
    org, _user = member(ListingStatus.APPROVED)
    report = Report(organization_id=org.id, reason=ReportReason.WRONG_DETAILS, details="Odd.", sender_key="k")
    db.session.add(report)
    db.session.commit()
    assert report.status is ReportStatus.OPEN
    audited = count(AuditEntry)
    underneath("UPDATE report SET status = 'dismissed' WHERE id = :id", id=report.id)
    with pytest.raises(ValueError, match="already decided"):
        decide_report(report, an_admin, "forward")
    assert column("SELECT status FROM report WHERE id = :id", id=report.id) == "dismissed"
    assert count(AuditEntry) == audited


@pytest.fixture
def admin_client(app: Flask, make_user: Callable[..., User]) -> FlaskClient:
    secret = pyotp.random_base32()
    make_user("admin", email="admin@example.org", totp_secret=secret, totp_confirmed_at=now_utc())
    client = app.test_client()
    client.post("/login", data={"email": "admin@example.org", "password": PASSWORD})
    assert client.post("/login/second-factor", data={"code": pyotp.TOTP(secret).now()}).status_code == 302
    return client


def test_a_double_click_on_a_decision_records_it_once_and_mails_once(
    admin_client: FlaskClient, member, outbox
) -> None:
    org, _user = member(ListingStatus.PENDING)
    page = admin_client.get(f"/admin/organizations/{org.id}").get_data(as_text=True)
    assert 'name="seen" value="pending"' in page
    form = {"action": "approve", "seen": "pending", "checklist": list(admin.CHECKLIST)}
    assert admin_client.post(f"/admin/organizations/{org.id}", data=form).status_code == 302
    second = admin_client.post(f"/admin/organizations/{org.id}", data=form)
    assert second.status_code == 200 and "already decided" in second.get_data(as_text=True)
    assert count(AuditEntry, AuditEntry.action == "listing.approve") == 1
    assert len(outbox()) == 1


def test_a_revision_replaced_since_the_admin_read_it_is_not_decided(
    admin_client: FlaskClient, member
) -> None:
    org, _user = member(ListingStatus.APPROVED)
    older = ListingRevision(organization_id=org.id, data={}, status=RevisionStatus.WITHDRAWN)
    db.session.add(older)
    db.session.flush()
    data = editing.input_to_dict(dataclasses.replace(editing.input_from_org(org), summary="Newer."))
    db.session.add(ListingRevision(organization_id=org.id, data=data))
    db.session.commit()
    form = {
        "action": "approve",
        "target": "revision",
        "revision": str(older.id),
        "checklist": list(admin.CHECKLIST),
    }
    refused = admin_client.post(f"/admin/organizations/{org.id}", data=form)
    assert refused.status_code == 200 and "already decided" in refused.get_data(as_text=True)
    assert column("SELECT summary FROM organization WHERE id = :id", id=org.id) == PROFILE["summary"]


# --- partnership requests --------------------------------------------------------------------------


@pytest.fixture
def sent(
    app: Flask, make_org: Callable[..., Organization], make_user: Callable[..., User]
) -> tuple[PartnershipRequest, User, User]:
    agency = Agency(
        name="Ministry", agency_type=AgencyType.GOVERNMENT, country_code="KE", status=AgencyStatus.VERIFIED
    )
    db.session.add(agency)
    db.session.commit()
    org = make_org(name="Circle A")
    officer = make_user("agency_member", email="officer@example.org", agency_id=agency.id)
    org_user = make_user("org_member", email="ama@example.org", organization_id=org.id)
    [request] = send_requests(officer, [org], draft(), "token-1", TODAY)
    db.session.commit()
    return request, officer, org_user


def test_a_request_moved_a_moment_ago_is_not_moved_again(sent) -> None:
    request, _officer, org_user = sent
    assert request.state is RequestState.SENT  # loaded
    events, audited = count(RequestEvent), count(AuditEntry)
    underneath("UPDATE partnership_request SET state = 'withdrawn' WHERE id = :id", id=request.id)
    with pytest.raises(RequestError, match="already moved by someone else"):
        move(request, org_user, RequestState.ACCEPTED)
    assert column("SELECT state FROM partnership_request WHERE id = :id", id=request.id) == "withdrawn"
    assert count(RequestEvent) == events and count(AuditEntry) == audited


def test_a_second_click_on_a_step_changes_nothing_and_notifies_nobody(app: Flask, sent) -> None:
    request, _officer, _org_user = sent
    client = app.test_client()
    client.post("/login", data={"email": "ama@example.org", "password": PASSWORD})
    form = {"to": "accepted", "from": "sent"}
    client.post(f"/requests/{request.id}/move", data=form)
    notified = count(Notification)
    again = client.post(f"/requests/{request.id}/move", data=form, follow_redirects=True)
    assert "already moved by someone else" in again.get_data(as_text=True)
    assert count(Notification) == notified
    assert count(RequestEvent, RequestEvent.to_state == "accepted") == 1


def test_feedback_left_at_the_same_moment_by_two_members_of_one_side_is_kept_once(sent) -> None:
    request, _officer, org_user = sent
    underneath("UPDATE partnership_request SET state = 'completed' WHERE id = :id", id=request.id)
    db.session.refresh(request)
    competing = sa.insert(RequestFeedback.__table__).values(
        request_id=request.id, party="organization", respectful=True, at=sa.func.current_timestamp()
    )
    with just_before("INSERT INTO request_feedback", competing) as fired:
        with pytest.raises(RequestError, match="already left feedback"):
            leave_feedback(request, org_user, False, None)
            db.session.flush()
    assert fired
    assert count(RequestFeedback) == 1


def test_blocking_an_agency_twice_at_once_is_one_block_and_one_entry(sent) -> None:
    request, _officer, org_user = sent
    audited = count(AuditEntry, AuditEntry.action == "agency.block")
    competing = sa.insert(AgencyBlock.__table__).values(
        organization_id=request.organization_id,
        agency_id=request.agency_id,
        created_at=sa.func.current_timestamp(),
    )
    with just_before("INSERT INTO agency_block", competing) as fired:
        block_agency(request, org_user)
        db.session.flush()
    assert fired
    assert count(AgencyBlock) == 1
    assert count(AuditEntry, AuditEntry.action == "agency.block") == audited


# --- accounts --------------------------------------------------------------------------------------


@pytest.fixture
def invitation(make_org: Callable[..., Organization], make_user: Callable[..., User]) -> Invitation:
    org = make_org(name="Circle A")
    owner = make_user("org_member", email="owner@example.org", organization_id=org.id)
    token = invitations.invite(owner, "new@example.org")
    db.session.commit()
    found = invitations.find_invitation(token)
    assert found is not None
    return found


def test_an_invitation_accepted_a_moment_ago_works_once(invitation: Invitation) -> None:
    users = count(User)
    underneath("UPDATE invitation SET accepted_at = CURRENT_TIMESTAMP WHERE id = :id", id=invitation.id)
    with pytest.raises(AccountError) as refused:
        invitations.accept(invitation, "Ama", PASSWORD + " again")
    assert "already been used" in str(refused.value.errors)
    assert count(User) == users


def test_two_invitations_to_one_address_accepted_at_once_make_one_account(
    invitation: Invitation,
) -> None:
    table = User.__table__
    columns = [c for c in table.columns if c.name not in ("id", "email")]
    copy_of_owner = sa.select(sa.literal("new@example.org"), *columns).where(
        table.c.email == "owner@example.org"
    )
    competing = sa.insert(table).from_select(["email", *(c.name for c in columns)], copy_of_owner)
    # just before this request's savepoint around its insert, so the other account is not undone with it
    with just_before("SAVEPOINT", competing) as fired:
        with pytest.raises(AccountError):
            invitations.accept(invitation, "Ama", PASSWORD + " again")
    assert fired
    assert count(User, User.email == "new@example.org") == 1


@pytest.fixture
def totp_user(make_user: Callable[..., User]) -> tuple[User, str]:
    secret = pyotp.random_base32()
    user = make_user("admin", email="admin@example.org", totp_secret=secret, totp_confirmed_at=now_utc())
    return user, secret


def test_one_code_sent_twice_at_once_signs_in_once(totp_user) -> None:
    user, secret = totp_user
    assert user.totp_last_step is None  # loaded
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now_utc())
    underneath("UPDATE user_account SET totp_last_step = :step WHERE id = :id", step=step, id=user.id)
    assert two_factor.verify(user, totp.now()) is False


def test_one_recovery_code_sent_twice_at_once_works_once(totp_user) -> None:
    user, _secret = totp_user
    [code, *_rest] = two_factor.new_recovery_codes(user)
    db.session.commit()
    competing = (
        sa.update(RecoveryCode.__table__)
        .where(RecoveryCode.__table__.c.user_id == user.id)
        .values(used_at=sa.func.current_timestamp())
    )
    with just_before("UPDATE recovery_code", competing) as fired:
        assert two_factor.verify(user, code) is False
        db.session.flush()
    assert fired
    assert count(RecoveryCode, RecoveryCode.used_at.is_not(None)) == 10


def test_an_agency_edit_does_not_undo_a_suspension_made_meanwhile(make_user: Callable[..., User]) -> None:
    agency = Agency(
        name="Ministry", agency_type=AgencyType.GOVERNMENT, country_code="KE", status=AgencyStatus.VERIFIED
    )
    db.session.add(agency)
    db.session.commit()
    officer = make_user("agency_member", email="officer@example.org", agency_id=agency.id)
    assert agency.status is AgencyStatus.VERIFIED  # loaded
    underneath("UPDATE agency SET status = 'suspended' WHERE id = :id", id=agency.id)
    changed = AgencyInput(
        name="Ministry of Labour",
        agency_type=AgencyType.GOVERNMENT,
        country_code="KE",
        website=None,
        description="",
    )
    assert update_agency(agency, changed, officer) is False
    db.session.flush()
    assert column("SELECT status FROM agency WHERE id = :id", id=agency.id) == "suspended"
