"""Partnership requests: sending (verified agencies only, once per form), and the workflow."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import Flask

from directory import vocab
from directory.accounts.models import User
from directory.agencies.models import Agency, AgencyStatus, AgencyType
from directory.extensions import db
from directory.organizations.models import Organization
from directory.organizations.public import visible_contacts
from directory.partnerships import vocabulary as words
from directory.partnerships.checks import Commitment, Stage
from directory.partnerships.forms import RequestForm
from directory.partnerships.models import AgencyBlock, PartnershipRequest, RequestMessage, RequestState
from directory.partnerships.services import (
    RequestDraft,
    RequestError,
    can_see,
    move,
    send_requests,
    validate_draft,
)

TODAY = date(2026, 11, 30)


def draft(**changes) -> RequestDraft:
    values = {
        "title": "Labour inspection training",
        "summary": "Design and deliver training for inspectors.",
        "stages": ["design", "implementation", "evaluation"],
        "maturity": "idea",
        "engagement": "trainer",
        "paid": True,
        "amount": Decimal("350.00"),
        "currency": "usd",
        "basis": "daily",
        "respond_by": date(2026, 12, 18),
        "start_date": date(2027, 1, 11),
        "concerns": ["labor"],
        "perspectives": ["labor"],
        "commitments": ["confidentiality", "right_to_withdraw"],
    }
    values.update(changes)
    return RequestDraft(**values)


@pytest.fixture
def parties(app: Flask, make_org: Callable[..., Organization], make_user: Callable[..., User]) -> dict:
    verified = Agency(
        name="Ministry", agency_type=AgencyType.GOVERNMENT, country_code="KE", status=AgencyStatus.VERIFIED
    )
    other = Agency(
        name="Other Ministry",
        agency_type=AgencyType.GOVERNMENT,
        country_code="KE",
        status=AgencyStatus.VERIFIED,
    )
    pending = Agency(name="Newcomer", agency_type=AgencyType.BUSINESS, country_code="KE")
    db.session.add_all([verified, other, pending])
    db.session.commit()
    org = make_org(name="Circle A", phone="+1 555 0110", phone_visibility="after_accept")
    org_b = make_org(name="Circle B")
    return {
        "org": org,
        "org_b": org_b,
        "agency_user": make_user("agency_member", email="officer@example.org", agency_id=verified.id),
        "other_agency_user": make_user("agency_member", email="other@example.org", agency_id=other.id),
        "pending_user": make_user("agency_member", email="new@example.org", agency_id=pending.id),
        "org_user": make_user("org_member", email="ama@example.org", organization_id=org.id),
        "org_b_user": make_user("org_member", email="bea@example.org", organization_id=org_b.id),
        "admin": make_user("admin", email="admin@example.org"),
    }


def test_a_verified_agency_sends_one_request_per_organization_with_findings(parties: dict) -> None:
    sent = send_requests(
        parties["agency_user"], [parties["org"], parties["org_b"]], draft(paid=False), "token-1", TODAY
    )
    db.session.commit()
    assert [r.organization.name for r in sent] == ["Circle A", "Circle B"]
    assert all(r.state is RequestState.SENT for r in sent)
    assert [f["code"] for f in sent[0].findings] == ["unpaid"]
    assert sent[0].currency == "USD"
    assert not can_see(parties["org_b_user"], sent[0])  # no organization sees the others' requests
    assert can_see(parties["org_user"], sent[0]) and can_see(parties["admin"], sent[0])
    assert not can_see(parties["other_agency_user"], sent[0])


def test_sending_the_same_form_twice_creates_nothing_new(parties: dict) -> None:
    first = send_requests(parties["agency_user"], [parties["org"]], draft(), "token-1", TODAY)
    db.session.commit()
    again = send_requests(parties["agency_user"], [parties["org"]], draft(), "token-1", TODAY)
    db.session.commit()
    assert [r.id for r in again] == [r.id for r in first]
    assert db.session.scalar(sa.select(sa.func.count(PartnershipRequest.id))) == 1


def test_the_database_refuses_a_duplicate_token_too(parties: dict) -> None:
    send_requests(parties["agency_user"], [parties["org"]], draft(), "token-1", TODAY)
    db.session.commit()
    duplicate = PartnershipRequest(
        **{
            c.name: getattr(db.session.scalar(sa.select(PartnershipRequest)), c.name)
            for c in PartnershipRequest.__table__.columns
            if c.name != "id"
        }
    )
    db.session.add(duplicate)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_unverified_agencies_and_organizations_cannot_send(parties: dict) -> None:
    for user in (parties["pending_user"], parties["org_user"], parties["admin"]):
        with pytest.raises(RequestError, match="verified agency"):
            send_requests(user, [parties["org"]], draft(), "t", TODAY)


def test_a_paused_or_blocking_organization_looks_the_same_from_outside(parties: dict) -> None:
    org = parties["org"]
    org.accepting_requests = False
    db.session.commit()
    with pytest.raises(RequestError) as paused:
        send_requests(parties["agency_user"], [org], draft(), "t1", TODAY)
    org.accepting_requests = True
    db.session.add(AgencyBlock(organization_id=org.id, agency_id=parties["agency_user"].agency_id))
    db.session.commit()
    with pytest.raises(RequestError) as blocked:
        send_requests(parties["agency_user"], [org], draft(), "t2", TODAY)
    assert str(paused.value) == str(blocked.value) == "Circle A is not taking requests at the moment."
    send_requests(parties["other_agency_user"], [org], draft(), "t3", TODAY)  # others still can


def test_bad_terms_are_refused_field_by_field() -> None:
    problems = validate_draft(
        draft(title=" ", stages=[], amount=Decimal(0), currency="ZZZ", basis="weekly", mode="in_person")
    )
    assert set(problems) == {"title", "stages", "amount", "currency", "basis", "place"}


def test_the_form_offers_exactly_the_values_a_draft_may_hold(app: Flask) -> None:
    """Each list of values is declared once: the form's choices, the draft check and the check's enums
    all come from it, so a value offered is never refused, nor one refused ever offered."""
    with app.test_request_context():
        form = RequestForm()
    offered = {name: [c[0] for c in getattr(form, name).iter_choices()] for name in words.TERMS}
    assert offered["basis"][0] == ""  # "Choose"
    offered["basis"] = offered["basis"][1:]
    assert offered == {name: list(values) for name, values in words.TERMS.items()}
    assert list(words.STAGES) == [s.value for s in Stage]
    assert list(words.COMMITMENTS) == [c.value for c in Commitment]
    assert words.TERMS["engagement"] is vocab.TAXONOMIES["engagement"]
    many = {"stages", "concerns", "perspectives", "diversity", "commitments"}
    for name, values in offered.items():
        for value in [*values, "other"]:  # every value offered is accepted, and only those
            problems = validate_draft(draft(**{name: [value] if name in many else value}))
            assert (name in problems) is (value == "other"), (name, value)


def test_a_value_without_its_label_stops_the_module_loading() -> None:
    with pytest.raises(ValueError, match="Stage"):
        words.labelled(Stage, {Stage.DESIGN: "Design"})


def test_the_workflow_from_sending_to_completion(parties: dict) -> None:
    [request] = send_requests(parties["agency_user"], [parties["org"]], draft(), "t", TODAY)
    db.session.commit()
    org, agency_user, org_user = parties["org"], parties["agency_user"], parties["org_user"]
    assert visible_contacts(org, agency_user).phone is None  # not before accepting
    move(request, org_user, RequestState.MORE_INFO, "Who will attend?")
    move(request, agency_user, RequestState.SENT, "Twenty inspectors.")
    move(request, org_user, RequestState.ACCEPTED)
    db.session.commit()
    assert visible_contacts(org, agency_user).phone == "+1 555 0110"  # shared once accepted
    assert visible_contacts(org, parties["other_agency_user"]).phone is None
    move(request, agency_user, RequestState.IN_PROGRESS)
    move(request, org_user, RequestState.COMPLETED)
    db.session.commit()
    assert [e.to_state for e in request.events] == [
        "sent",
        "more_info_requested",
        "sent",
        "accepted",
        "in_progress",
        "completed",
    ]
    assert request.events[1].note == "Who will attend?"


@pytest.mark.parametrize(
    ("who", "state", "to"),
    [
        ("agency_user", RequestState.SENT, RequestState.ACCEPTED),  # only the organization accepts
        ("org_user", RequestState.SENT, RequestState.WITHDRAWN),  # only the agency withdraws
        ("org_b_user", RequestState.SENT, RequestState.ACCEPTED),  # not a party
        ("other_agency_user", RequestState.SENT, RequestState.WITHDRAWN),
        ("admin", RequestState.SENT, RequestState.DECLINED),  # admins see, they do not act
        ("org_user", RequestState.WITHDRAWN, RequestState.ACCEPTED),  # no accepting a withdrawn request
        ("org_user", RequestState.DECLINED, RequestState.ACCEPTED),
        ("agency_user", RequestState.COMPLETED, RequestState.WITHDRAWN),
        ("org_user", RequestState.SENT, RequestState.COMPLETED),
    ],
)
def test_forbidden_steps_are_refused_and_change_nothing(
    parties: dict, who: str, state: RequestState, to: RequestState
) -> None:
    [request] = send_requests(parties["agency_user"], [parties["org"]], draft(), "t", TODAY)
    request.state = state
    db.session.commit()
    with pytest.raises(RequestError, match="cannot be moved"):
        move(request, parties[who], to)
    db.session.rollback()
    db.session.refresh(request)
    assert request.state is state and len(request.events) == 1


FORM = {
    "title": "Labour inspection training",
    "summary": "Design and deliver training for inspectors.",
    "stages": ["design", "implementation", "evaluation"],
    "maturity": "idea",
    "engagement": "trainer",
    "paid": "no",
    "respond_by": "2099-12-18",
    "mode": "remote",
    "concerns": ["labor"],
    "perspectives": ["labor"],
    "asks_personal_story": "no",
    "commitments": ["confidentiality"],
}


def test_the_whole_path_through_the_pages(app: Flask, parties: dict) -> None:
    from .conftest import PASSWORD

    app.config["WTF_CSRF_ENABLED"] = False
    org = parties["org"]
    agency = app.test_client()
    agency.post("/login", data={"email": "officer@example.org", "password": PASSWORD})
    member = app.test_client()
    member.post("/login", data={"email": "ama@example.org", "password": PASSWORD})

    checked = agency.post(
        f"/organizations/{org.slug}/request", data={**FORM, "form_token": "tok", "action": "check"}
    )
    page = checked.get_data(as_text=True)
    assert "The request is unpaid." in page and "like any other employee or consultant" in page
    assert db.session.scalar(sa.select(sa.func.count(PartnershipRequest.id))) == 0  # checking sends nothing
    sent = agency.post(
        f"/organizations/{org.slug}/request", data={**FORM, "form_token": "tok", "action": "send"}
    )
    again = agency.post(
        f"/organizations/{org.slug}/request", data={**FORM, "form_token": "tok", "action": "send"}
    )
    assert sent.status_code == again.status_code == 302 and sent.location == again.location
    request_id = db.session.scalar(sa.select(PartnershipRequest.id))
    assert db.session.scalar(sa.select(sa.func.count(PartnershipRequest.id))) == 1

    inbox = member.get("/requests").get_data(as_text=True)
    assert "Labour inspection training" in inbox and "unpaid" in inbox
    assert app.test_client().get(f"/requests/{request_id}").status_code == 302
    outsider = app.test_client()
    outsider.post("/login", data={"email": "bea@example.org", "password": PASSWORD})
    assert outsider.get(f"/requests/{request_id}").status_code == 404

    refused = agency.post(f"/requests/{request_id}/move", data={"to": "accepted"}, follow_redirects=True)
    assert "cannot be moved" in refused.get_data(as_text=True)
    member.post(f"/requests/{request_id}/move", data={"to": "more_info_requested", "note": "Which dates?"})
    agency.post(f"/requests/{request_id}/move", data={"to": "sent", "note": "January."})
    assert "+1 555 0110" not in agency.get(f"/organizations/{org.slug}").get_data(as_text=True)
    member.post(f"/requests/{request_id}/move", data={"to": "accepted"})
    assert "+1 555 0110" in agency.get(f"/organizations/{org.slug}").get_data(as_text=True)
    member.post(f"/requests/{request_id}/move", data={"to": "in_progress"})
    agency.post(f"/requests/{request_id}/move", data={"to": "completed", "confirmed": "yes"})
    page = agency.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "completed" in page and "Which dates?" in page and "January." in page
    assert "Private feedback" in page
    agency.post(f"/requests/{request_id}/feedback", data={"respectful": "yes", "paid_on_time": "na"})
    assert "Did the survivors' input shape decisions in the project?" in page
    member.post(
        f"/requests/{request_id}/feedback",
        data={
            "respectful": "yes",
            "paid_on_time": "yes",
            "input_shaped_decisions": "yes",
            "development_offered": "unknown",
        },
    )
    twice = member.post(f"/requests/{request_id}/feedback", data={"respectful": "no"}, follow_redirects=True)
    assert "already left feedback" in twice.get_data(as_text=True)
    from directory.partnerships.models import RequestFeedback

    assert db.session.scalar(sa.select(sa.func.count(RequestFeedback.id))) == 2
    answers = db.session.execute(
        sa.select(
            RequestFeedback.party, RequestFeedback.input_shaped_decisions, RequestFeedback.development_offered
        )
    ).all()
    assert sorted(answers) == [("agency", None, None), ("organization", True, None)]


def test_unverified_agencies_are_refused_the_form(app: Flask, parties: dict) -> None:
    from .conftest import PASSWORD

    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    client.post("/login", data={"email": "new@example.org", "password": PASSWORD})
    assert client.get(f"/organizations/{parties['org'].slug}/request").status_code == 403


def test_the_thread_and_the_notices(app: Flask, parties: dict, outbox) -> None:
    import re

    from .conftest import PASSWORD

    app.config["WTF_CSRF_ENABLED"] = False
    agency = app.test_client()
    agency.post("/login", data={"email": "officer@example.org", "password": PASSWORD})
    member = app.test_client()
    member.post("/login", data={"email": "ama@example.org", "password": PASSWORD})
    agency.post(
        f"/organizations/{parties['org'].slug}/request", data={**FORM, "form_token": "t", "action": "send"}
    )
    request_id = db.session.scalar(sa.select(PartnershipRequest.id))

    def unread(client) -> int:
        found = re.search(r'<span class="badge"[^>]*>(\d+)</span>', client.get("/").get_data(as_text=True))
        return int(found.group(1)) if found else 0

    assert unread(member) == 1 and unread(agency) == 0
    assert any("To: ama@example.org" in m and "New partnership request" in m for m in outbox())
    # Reading marks nothing (a GET changes no state): the page shows what is new, a button marks it read.
    page = member.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "1 unread notice" in page and "New partnership request" in page and unread(member) == 1
    listing = member.get("/requests").get_data(as_text=True)
    assert re.search(r'<span class="badge" aria-label="1 unread">1</span></td>', listing)
    member.post(f"/requests/{request_id}/read")
    assert unread(member) == 0
    assert "unread notice" not in member.get(f"/requests/{request_id}").get_data(as_text=True)
    member.post(f"/requests/{request_id}/messages", data={"body": "Can you pay for travel?"})
    assert unread(agency) == 1
    page = agency.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Can you pay for travel?" in page and unread(agency) == 1
    agency.post(f"/requests/{request_id}/messages", data={"body": "Yes, and a day rate."})
    assert unread(agency) == 0  # answering marks what came before as read
    member.post(f"/requests/{request_id}/move", data={"to": "accepted"})
    assert unread(agency) == 1  # every step is told to the other side
    assert any("To: officer@example.org" in m and "is now: accepted" in m for m in outbox())
    bad_step = member.post(f"/requests/{request_id}/move", data={"to": "teleported"}, follow_redirects=True)
    assert "Unknown step." in bad_step.get_data(as_text=True)
    empty = agency.post(f"/requests/{request_id}/messages", data={"body": "  "}, follow_redirects=True)
    assert "at most 5,000 characters" in empty.get_data(as_text=True)
    outsider = app.test_client()
    outsider.post("/login", data={"email": "bea@example.org", "password": PASSWORD})
    assert outsider.post(f"/requests/{request_id}/messages", data={"body": "hi"}).status_code == 404


def test_pausing_and_blocking_through_the_pages(app: Flask, parties: dict) -> None:
    from .conftest import PASSWORD

    app.config["WTF_CSRF_ENABLED"] = False
    org = parties["org"]
    member = app.test_client()
    member.post("/login", data={"email": "ama@example.org", "password": PASSWORD})
    agency = app.test_client()
    agency.post("/login", data={"email": "officer@example.org", "password": PASSWORD})
    member.post("/my/organization/requests", data={"accepting": "no"})
    paused = agency.get(f"/organizations/{org.slug}/request").get_data(as_text=True)
    assert "not taking requests at the moment" in paused
    member.post("/my/organization/requests", data={"accepting": "yes"})
    agency.post(f"/organizations/{org.slug}/request", data={**FORM, "form_token": "t", "action": "send"})
    request_id = db.session.scalar(sa.select(PartnershipRequest.id))
    refused = agency.post(f"/requests/{request_id}/block", follow_redirects=True)
    assert "Only the organization" in refused.get_data(as_text=True)
    member.post(f"/requests/{request_id}/block", data={"confirmed": "yes"})
    blocked = agency.get(f"/organizations/{org.slug}/request").get_data(as_text=True)
    assert "not taking requests at the moment" in blocked  # the same words as a pause
    other = app.test_client()
    other.post("/login", data={"email": "other@example.org", "password": PASSWORD})
    assert 'name="form_token"' in other.get(f"/organizations/{org.slug}/request").get_data(as_text=True)


def test_feedback_after_completion_is_shown_to_admins_only_in_groups_of_five(parties: dict) -> None:
    from directory.partnerships.services import MIN_GROUP, feedback_summary, leave_feedback

    agency_user, org_user = parties["agency_user"], parties["org_user"]
    requests = []
    for i in range(MIN_GROUP):
        [request] = send_requests(agency_user, [parties["org"]], draft(), f"fb-{i}", TODAY)
        requests.append(request)
    db.session.commit()
    with pytest.raises(RequestError, match="once the request is completed"):
        leave_feedback(requests[0], org_user, True, True)
    for request in requests:
        request.state = RequestState.COMPLETED
    db.session.commit()
    leave_feedback(requests[0], org_user, True, True)
    db.session.commit()
    with pytest.raises(RequestError, match="already left feedback"):
        leave_feedback(requests[0], org_user, False, False)
    with pytest.raises(RequestError):
        leave_feedback(requests[0], parties["org_b_user"], True, True)  # not a party
    summary = {g.party: g for g in feedback_summary()}
    assert summary["organization"].responses == 1 and summary["organization"].respectful_share is None
    for request in requests[1:]:
        leave_feedback(request, org_user, request is not requests[1], True)
    db.session.commit()
    organization = {g.party: g for g in feedback_summary()}["organization"]
    assert organization.responses == MIN_GROUP
    assert organization.respectful_share == pytest.approx((MIN_GROUP - 1) / MIN_GROUP)
    assert organization.paid_on_time_share == 1.0


def test_a_share_needs_five_yes_or_no_answers() -> None:
    from directory.partnerships.services import MIN_GROUP, share_of_yes

    assert MIN_GROUP == 5
    assert share_of_yes([True, True, False, True]) is None
    assert share_of_yes([True, True, False, True, None, None]) is None  # "don't know" is no answer
    assert share_of_yes([True, True, False, True, False, None]) == pytest.approx(0.6)


def test_admins_see_whether_input_shaped_decisions_and_development_was_offered_in_groups_of_five(
    app: Flask, parties: dict, make_user: Callable[..., User]
) -> None:
    import pyotp

    from directory.db import now_utc
    from directory.partnerships.services import MIN_GROUP, feedback_summary, leave_feedback

    from .conftest import PASSWORD

    secret = pyotp.random_base32()
    make_user("admin", email="boss@example.org", totp_secret=secret, totp_confirmed_at=now_utc())
    admin = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    admin.post("/login", data={"email": "boss@example.org", "password": PASSWORD})
    assert admin.post("/login/second-factor", data={"code": pyotp.TOTP(secret).now()}).status_code == 302
    requests = [
        send_requests(parties["agency_user"], [parties["org"]], draft(), f"k-{i}", TODAY)[0]
        for i in range(MIN_GROUP)
    ]
    for request in requests:
        request.state = RequestState.COMPLETED
    db.session.commit()
    for i, request in enumerate(requests[:-1]):
        leave_feedback(
            request, parties["org_user"], True, None, input_shaped_decisions=i > 0, development_offered=True
        )
    db.session.commit()

    def organizations_row() -> str:
        page = admin.get("/admin/feedback").get_data(as_text=True)
        assert "Survivors' input shaped decisions" in page
        assert "Leadership or professional development offered" in page
        return next(row for row in page.split("<tr>") if row.startswith("<td>organizations"))

    assert organizations_row().count("Not enough responses yet") == 4  # four responses: nothing shown
    leave_feedback(
        requests[-1], parties["org_user"], True, None, input_shaped_decisions=None, development_offered=False
    )
    db.session.commit()
    group = {g.party: g for g in feedback_summary()}["organization"]
    assert group.input_shaped_share is None  # five responses, but one "don't know": four answers
    assert group.development_offered_share == pytest.approx(0.8)
    assert group.paid_on_time_share is None and group.respectful_share == 1.0
    row = organizations_row()
    cells = re.findall(r"<td>([^<]*)</td>", row)
    assert [c.strip() for c in cells] == [
        "organizations",
        "5",
        "100%",
        "Not enough responses yet",
        "Not enough responses yet",
        "80%",
    ]


def test_the_admin_dashboard_counts_and_draws(app: Flask, parties: dict) -> None:
    from directory.partnerships.stats import dashboard

    a = send_requests(parties["agency_user"], [parties["org"]], draft(paid=False), "d1", TODAY)[0]
    b = send_requests(parties["agency_user"], [parties["org"]], draft(stages=["evaluation"]), "d2", TODAY)[0]
    c = send_requests(parties["other_agency_user"], [parties["org_b"]], draft(), "d3", TODAY)[0]
    a.state, b.state = RequestState.ACCEPTED, RequestState.DECLINED
    db.session.commit()
    d = dashboard()
    assert d.total == 3
    assert dict(d.by_state) == {"accepted": 1, "declined": 1, "sent": 1}
    assert dict(d.by_stage)["evaluation"] == 3 and dict(d.by_stage)["design"] == 2
    assert d.paid_share == pytest.approx(2 / 3)
    assert d.acceptance_rate == 0.5
    assert dict(d.findings) == {"unpaid": 1, "evaluation_only": 1}
    assert dict(d.listings_by_region) == {"africa": 2}
    assert c.state is RequestState.SENT
    assert d.median_working_days is not None


def test_the_dashboard_page_draws_svg(app: Flask, parties: dict) -> None:
    import pyotp

    from directory.db import now_utc

    from .conftest import PASSWORD

    app.config["WTF_CSRF_ENABLED"] = False
    send_requests(parties["agency_user"], [parties["org"]], draft(), "d1", TODAY)
    admin = parties["admin"]
    secret = pyotp.random_base32()
    admin.totp_secret, admin.totp_confirmed_at = secret, now_utc()
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": "admin@example.org", "password": PASSWORD})
    client.post("/login/second-factor", data={"code": pyotp.TOTP(secret).now()})
    page = client.get("/admin/dashboard").get_data(as_text=True)
    assert page.count("<svg") == 3 and 'class="bar"' in page and "Requests by state" in page
    # each chart's numbers are in a table too (the drawing itself is hidden from screen readers)
    assert page.count('<table class="data-table chart-table">') == 3
    assert re.search(r'<th scope="row">sent</th><td>1</td>', page)
    assert "Nothing yet." in page  # no findings and no focus areas to chart


def test_several_organizations_from_a_search(app: Flask, parties: dict) -> None:
    from .conftest import PASSWORD

    app.config["WTF_CSRF_ENABLED"] = False
    agency = app.test_client()
    agency.post("/login", data={"email": "officer@example.org", "password": PASSWORD})
    search = agency.get("/organizations").get_data(as_text=True)
    assert 'name="org" value="circle-a"' in search and "/requests/new" in search
    anonymous = app.test_client().get("/organizations").get_data(as_text=True)
    assert 'name="org"' not in anonymous
    url = "/requests/new?org=circle-a&org=circle-b"
    page = agency.get(url).get_data(as_text=True)
    assert "Circle A, Circle B" in page
    response = agency.post(url, data={**FORM, "form_token": "multi", "action": "send"})
    assert response.status_code == 302 and response.location.endswith("/requests")
    sent = db.session.scalars(
        sa.select(PartnershipRequest).order_by(PartnershipRequest.organization_id)
    ).all()
    assert [r.organization.name for r in sent] == ["Circle A", "Circle B"]
    member_b = app.test_client()
    member_b.post("/login", data={"email": "bea@example.org", "password": PASSWORD})
    inbox = member_b.get("/requests").get_data(as_text=True)
    assert inbox.count("Labour inspection training") == 1  # only its own


def test_the_agency_sees_its_requests_counted_by_state(app: Flask, parties: dict) -> None:
    from .conftest import PASSWORD

    app.config["WTF_CSRF_ENABLED"] = False
    first = send_requests(parties["agency_user"], [parties["org"]], draft(), "s1", TODAY)[0]
    send_requests(parties["agency_user"], [parties["org_b"]], draft(), "s2", TODAY)
    first.state = RequestState.ACCEPTED
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": "officer@example.org", "password": PASSWORD})
    page = client.get("/requests").get_data(as_text=True)
    assert "accepted: <strong>1</strong>" in page and "sent: <strong>1</strong>" in page


def test_a_draft_is_the_agencys_own_until_sent_and_its_findings_are_those_of_sending(
    app: Flask, parties: dict
) -> None:
    from .conftest import PASSWORD

    app.config["WTF_CSRF_ENABLED"] = False
    agency = app.test_client()
    agency.post("/login", data={"email": "officer@example.org", "password": PASSWORD})
    member = app.test_client()
    member.post("/login", data={"email": "ama@example.org", "password": PASSWORD})
    url = f"/organizations/{parties['org'].slug}/request"
    saved = agency.post(url, data={**FORM, "languages": "en, sw", "form_token": "d", "action": "draft"})
    request_id = int(saved.location.rsplit("/", 1)[1])
    draft_request = db.session.get(PartnershipRequest, request_id)
    assert draft_request.state is RequestState.DRAFT and draft_request.findings == []
    assert draft_request.languages == ["en", "sw"]
    assert member.get(f"/requests/{request_id}").status_code == 404  # not the organization's yet
    assert "Labour inspection training" not in member.get("/requests").get_data(as_text=True)
    agency.post(f"/requests/{request_id}/move", data={"to": "sent"})
    db.session.expire_all()
    sent = db.session.get(PartnershipRequest, request_id)
    assert sent.state is RequestState.SENT and [f["code"] for f in sent.findings] == ["unpaid"]
    assert member.get(f"/requests/{request_id}").status_code == 200


def test_unknown_languages_are_refused_at_the_field(app: Flask, parties: dict) -> None:
    from .conftest import PASSWORD

    app.config["WTF_CSRF_ENABLED"] = False
    agency = app.test_client()
    agency.post("/login", data={"email": "officer@example.org", "password": PASSWORD})
    page = agency.post(
        f"/organizations/{parties['org'].slug}/request",
        data={**FORM, "languages": "en, elvish", "form_token": "x", "action": "send"},
    ).get_data(as_text=True)
    assert "We do not know these languages: “elvish”." in page
    assert db.session.scalar(sa.select(sa.func.count(PartnershipRequest.id))) == 0


def test_messages_are_limited_per_writer_and_notices_to_one_person_come_together(
    app: Flask, parties: dict, outbox
) -> None:
    """1,600 messages once made 1,796 emails to one person: now a writer has an hourly limit, and one
    person gets a few notices an hour, the rest in one digest an hour later."""
    from directory.mail import MailKind, MailMessage

    from .conftest import PASSWORD

    app.config.update(WTF_CSRF_ENABLED=False, MESSAGES_PER_HOUR=8)
    [sent] = send_requests(parties["agency_user"], [parties["org"]], draft(), "token", TODAY)
    db.session.commit()
    agency = app.test_client()
    agency.post("/login", data={"email": "officer@example.org", "password": PASSWORD})
    for n in range(8):
        assert agency.post(f"/requests/{sent.id}/messages", data={"body": f"Update {n}"}).status_code == 302
    refused = agency.post(f"/requests/{sent.id}/messages", data={"body": "One more thing, typed with care."})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "8 messages in the last hour" in page
    assert "One more thing, typed with care.</textarea>" in page  # what was typed is kept
    assert db.session.scalar(sa.select(sa.func.count(RequestMessage.id))) == 8
    to_member = [m for m in outbox() if "To: ama@example.org" in m]
    assert len(to_member) == 5 and all("New message about" in m for m in to_member)
    [digest] = db.session.scalars(sa.select(MailMessage).where(MailMessage.kind == MailKind.DIGEST)).all()
    assert digest.to_address == "ama@example.org" and digest.body.count("\n- New message about") == 3


def test_who_sees_which_requests_in_their_list(parties: dict) -> None:
    from directory.partnerships.services import (
        post_message,
        published_organizations,
        requests_for,
        thread_of,
    )

    org, org_b = parties["org"], parties["org_b"]
    sent = send_requests(parties["agency_user"], [org], draft(), "t1", TODAY)[0]
    kept = send_requests(parties["agency_user"], [org_b], draft(), "t2", TODAY, as_draft=True)[0]
    theirs = send_requests(parties["other_agency_user"], [org_b], draft(), "t3", TODAY)[0]
    db.session.commit()
    assert requests_for(parties["agency_user"]) == [kept, sent]  # the agency's own drafts too
    assert requests_for(parties["org_user"]) == [sent]
    assert requests_for(parties["org_b_user"]) == [theirs]  # never another agency's draft
    assert requests_for(parties["admin"]) == [theirs, sent]
    assert requests_for(parties["admin"], limit=1) == [theirs]
    assert {o.id for o in published_organizations([org.slug, org_b.slug, "nobody"])} == {org.id, org_b.id}
    message = post_message(sent, parties["org_user"], "Hello.")
    assert thread_of(sent) == [message]
