"""Hostile input at the edges, finding by finding (issue 9): each test failed before its fix.

The sweep over every route is ``tests/test_hostile_input.py``; the character rule itself is unit-tested
in ``tests/test_textrules.py``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from unittest.mock import patch

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from directory.accounts.models import User
from directory.admin.services import CHECKLIST
from directory.agencies.models import Agency
from directory.db import now_utc
from directory.extensions import db
from directory.mail import MailStatus, queue_mail, send_queued
from directory.mail.delivery import deliver
from directory.organizations.models import Organization
from directory.partnerships.models import PartnershipRequest, RequestMessage
from directory.partnerships.services import RequestDraft, send_requests

from . import test_admin, test_partnerships
from .conftest import PASSWORD
from .test_accounts import agency_form, org_form
from .test_import import GOOD, orgs, write_csv

parties = test_partnerships.parties  # a verified agency, organizations and their members
admin = test_admin.admin  # an admin signed in with the second factor

CRLF_TITLE = "x\r\nSet-Cookie: x=1"


@pytest.fixture
def app(app: Flask) -> Flask:
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def field_error(page: str, field: str) -> str:
    """The error shown at a form field ('' when there is none)."""
    found = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', page)
    return html.unescape(found.group(1)) if found else ""


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


# A title with CR/LF -------------------------------------------------------------------------------


def test_a_title_with_a_line_break_is_refused_at_its_field(app: Flask, parties: dict) -> None:
    agency = signed_in(app, "officer@example.org")
    response = agency.post(
        f"/organizations/{parties['org'].slug}/request",
        data={**test_partnerships.FORM, "title": CRLF_TITLE, "form_token": "t", "action": "send"},
    )
    assert response.status_code == 200
    assert "one line" in field_error(response.get_data(as_text=True), "title")
    assert count(PartnershipRequest) == 0


@pytest.fixture
def legacy_request(parties: dict) -> PartnershipRequest:
    """A request whose title was stored with CR/LF before titles were checked."""
    [found] = send_requests(
        parties["agency_user"],
        [parties["org"]],
        RequestDraft(
            title="T",
            summary="S",
            stages=["design"],
            maturity="idea",
            engagement="trainer",
            paid=False,
            respond_by=date(2099, 1, 1),
        ),  # fmt: skip
        "legacy",
        date(2026, 11, 30),
    )
    db.session.commit()
    db.session.execute(sa.update(PartnershipRequest).values(title=CRLF_TITLE))
    db.session.commit()
    return found


def test_a_stored_title_with_a_line_break_breaks_neither_messages_nor_moves(
    app: Flask, legacy_request: PartnershipRequest, outbox: Callable[[], list[str]]
) -> None:
    member = signed_in(app, "ama@example.org")
    url = f"/requests/{legacy_request.id}"
    assert member.post(f"{url}/messages", data={"body": "Which dates?"}).status_code == 302
    assert member.post(f"{url}/move", data={"to": "accepted", "note": "Yes."}).status_code == 302
    assert count(RequestMessage) == 1 and legacy_request.state.value == "accepted"
    subjects = [m.split("\n")[1] for m in outbox() if "officer@example.org" in m]
    assert subjects == [
        "Subject: New message about “x Set-Cookie: x=1”",
        "Subject: “x Set-Cookie: x=1” is now: accepted",
    ]
    assert not (Path(app.config["MAIL_OUTBOX"]) / "failed").exists()


def test_a_message_that_cannot_be_built_is_kept_and_never_raises(app: Flask) -> None:
    app.config["MAIL_MAX_ATTEMPTS"] = 1
    with app.test_request_context():
        assert deliver("a\r\nBcc: b@example.org", "Hello", "Body text") is not None  # an error, not a raise
        # Through the queue: the header is made one line, and a message that never goes is kept.
        message = queue_mail("a\r\nBcc: b@example.org", "Hello\r\nBcc: c@example.org", "Body text")
        db.session.commit()
        assert "\n" not in message.to_address + message.subject
        with patch("directory.mail.delivery._build", side_effect=ValueError("unbuildable")):
            assert send_queued().failed == 1
    [kept] = (Path(app.config["MAIL_OUTBOX"]) / "failed").glob("*.txt")
    record = kept.read_text()
    assert "Hello" in record and "Body text" in record


def test_a_send_that_fails_in_any_way_is_retried_then_kept_and_never_raises(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise RuntimeError("not an OSError")

    monkeypatch.setattr("directory.mail.delivery.smtplib.SMTP", Broken)
    app.config["MAIL_SERVER"] = "mail.example"
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    with app.test_request_context():
        message = queue_mail("ama@example.org", "Hello", "Body")
        db.session.commit()
        first = send_queued()
        assert (first.sent, first.retrying, first.failed) == (0, 1, 0)
        assert message.status is MailStatus.QUEUED and "not an OSError" in message.last_error
        later = send_queued(now=message.not_before)
        assert (later.retrying, later.failed) == (0, 1)
        assert message.status is MailStatus.FAILED and message.attempts == 2
    assert len(list((Path(app.config["MAIL_OUTBOX"]) / "failed").glob("*.eml"))) == 1


# NUL and other control characters ------------------------------------------------------------------


def test_a_nul_in_the_sign_in_email_is_a_field_error(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": "a\x00@example.org", "password": PASSWORD})
    assert response.status_code == 200
    assert "U+0000" in field_error(response.get_data(as_text=True), "email")


@pytest.mark.parametrize(
    ("form", "field", "value", "words"),
    [
        (org_form, "display_name", "Ama\x00", "U+0000"),
        (org_form, "org_name", "Circle\x00", "U+0000"),
        (org_form, "city", "Dou\x00ala", "U+0000"),
        (org_form, "org_name", "\u202eelcriC", "text-direction"),
        (org_form, "display_name", "Ama\u2066", "text-direction"),
        (agency_form, "agency_name", "Ministry\x00", "U+0000"),
        (agency_form, "description", "We inspect\x00", "U+0000"),
        (agency_form, "description", "We inspect\x1b[31m", "U+001B"),
        (agency_form, "website", "https://labour.example/\r\n", "one line"),
    ],
)
def test_control_characters_in_registrations_are_field_errors(
    client: FlaskClient, form: Callable[..., dict], field: str, value: str, words: str
) -> None:
    url = "/register/organization" if form is org_form else "/register/agency"
    response = client.post(url, data=form(**{field: value}))
    assert response.status_code == 200
    assert words in field_error(response.get_data(as_text=True), field)
    assert count(User) == 0


def test_line_breaks_and_overrides_are_fine_in_a_description(
    client: FlaskClient, outbox: Callable[[], list[str]]
) -> None:
    text = "We inspect workplaces.\r\n\tAnd refer survivors, \u202eeven here."
    assert client.post("/register/agency", data=agency_form(description=text)).status_code == 302
    finish = re.search(r"http://localhost(/register/finish/\S+)", outbox()[-1]).group(1)
    assert client.post(finish).status_code == 302
    assert db.session.scalar(sa.select(Agency.description)) == text


def test_thread_messages_and_notes_refuse_control_characters(app: Flask, parties: dict) -> None:
    [found] = send_requests(
        parties["agency_user"],
        [parties["org"]],
        test_partnerships.draft(),
        "tok",
        test_partnerships.TODAY,
    )
    db.session.commit()
    member = signed_in(app, "ama@example.org")
    url = f"/requests/{found.id}"
    page = member.post(f"{url}/messages", data={"body": "a\x00b"}, follow_redirects=True)
    assert "U+0000" in page.get_data(as_text=True) and count(RequestMessage) == 0
    page = member.post(f"{url}/move", data={"to": "accepted", "note": "ok\x07"}, follow_redirects=True)
    assert "U+0007" in page.get_data(as_text=True) and found.state.value == "sent"


def test_search_text_with_control_characters_is_a_400_that_says_why(client: FlaskClient) -> None:
    for param in ("q", "near"):
        answer = client.get("/api/v1/organizations", query_string={param: "Dou\x00ala"})
        assert answer.status_code == 400
        assert answer.json["param"] == param and "U+0000" in answer.json["error"]
        page = client.get("/organizations", query_string={param: "a\r\nb"})
        assert page.status_code == 400 and "one line" in page.get_data(as_text=True)


def test_control_characters_in_a_path_are_a_404(client: FlaskClient, make_org: Callable) -> None:
    org = make_org(name="Circle")
    assert client.get(f"/organizations/{org.slug}").status_code == 200
    assert client.get(f"/organizations/{org.slug}%00").status_code == 404
    answer = client.get("/api/v1/organizations/a%00b")
    assert answer.status_code == 404 and "error" in answer.json
    assert client.get("/reset-password/a%0D%0Ab").status_code == 404


def test_admin_account_search_and_audit_filters_refuse_control_characters(admin: FlaskClient) -> None:
    page = admin.get("/admin/users", query_string={"email": "a\x00@example.org"})
    assert page.status_code == 200 and "U+0000" in field_error(page.get_data(as_text=True), "email")
    page = admin.get("/admin/audit", query_string={"actor": "admin\x00"})
    assert page.status_code == 200 and "U+0000" in field_error(page.get_data(as_text=True), "actor")


def test_a_csv_row_with_a_control_character_is_reported_and_skipped(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    rows = [
        {**GOOD, "name": "Good One"},
        {**GOOD, "name": "Nul\x00 Circle"},
        {**GOOD, "name": "Bidi \u202eCircle"},
        {**GOOD, "name": "Escaped Circle", "description": "Loans.\x1b[2J"},
        {**GOOD, "name": "Good Two", "description": "Two lines.\nBoth fine."},
        {**GOOD, "name": "Broken City", "city": "Dou\rala"},
        {**GOOD, "name": "Superscript Year", "founded_year": "²⁰¹⁵"},  # digits to isdigit(), not to int()
        {**GOOD, "name": "Huge Year", "founded_year": "9" * 5000},
    ]
    result = runner.invoke(args=["import-orgs", str(write_csv(tmp_path / "orgs.csv", rows))])
    assert result.exit_code == 0
    assert sorted(o.name for o in orgs()) == ["Good One", "Good Two"]
    assert "line 3: name: Remove the invisible control character (U+0000)." in result.output
    assert "line 4: name: Remove the invisible text-direction character (U+202E)" in result.output
    assert re.search(
        r"line 5: .*description: Remove the invisible control character \(U\+001B\)", result.output
    )
    assert "line 8: city: This must be on one line" in result.output  # the line the row starts on
    assert "line 10: founded_year '²⁰¹⁵' is not a year" in result.output
    assert "line 11: founded_year '999" in result.output
    assert "Imported 2, skipped 0 already in the directory, 6 with errors." in result.output


def test_a_file_that_is_not_utf8_csv_stops_the_import_plainly(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "orgs.csv", [{**GOOD, "name": "Good One"}, {**GOOD, "name": "Latin-1"}])
    path.write_bytes(path.read_bytes().replace(b"Latin-1", "Café".encode("latin-1")))
    result = runner.invoke(args=["import-orgs", str(path)])
    assert result.exit_code == 1 and "the file cannot be read as UTF-8 CSV" in result.output
    assert "position" in result.output and orgs() == []
    write_csv(path, [{**GOOD, "description": "x" * 200_000}])  # a field beyond what csv reads
    result = runner.invoke(args=["import-orgs", str(path)])
    assert result.exit_code == 1 and "cannot be read as UTF-8 CSV" in result.output


def test_a_second_factor_code_in_other_digits_is_wrong_not_a_crash(
    app: Flask, make_user: Callable[..., User]
) -> None:
    make_user("admin", email="root@example.org", totp_secret=test_admin.SECRET, totp_confirmed_at=now_utc())
    client = app.test_client()
    assert client.post("/login", data={"email": "root@example.org", "password": PASSWORD}).status_code == 302
    for code in ("١٢٣٤٥٦", "²²²²²²"):  # Arabic-Indic and superscript digits: isdigit(), not ASCII
        response = client.post("/login/second-factor", data={"code": code})
        assert response.status_code == 200 and "not right" in response.get_data(as_text=True)


# Huge ids and pages ------------------------------------------------------------------------------


def test_ids_no_column_holds_are_a_404(admin: FlaskClient) -> None:
    for number in (str(2**31), str(2**63), str(2**64), str(10**30), "9" * 5000):
        for path in ("/requests/{}", "/assessment/{}", "/admin/organizations/{}", "/admin/agencies/{}"):
            assert admin.get(path.format(number)).status_code == 404, path
        assert admin.post(f"/requests/{number}/messages", data={"body": "hi"}).status_code == 404
        assert admin.get("/admin/audit", query_string={"page": number}).status_code == 404


def test_an_unreadable_listing_version_in_a_decision_is_refused(
    admin: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    org = make_org(name="Circle")
    version = org.edit_version
    ticked = {"action": "reverify", "checklist": list(CHECKLIST)}
    for unreadable in ("9" * 5000, str(2**63), "²"):
        response = admin.post(f"/admin/organizations/{org.id}", data={**ticked, "version": unreadable})
        assert response.status_code == 200
        assert "changed since you opened it" in response.get_data(as_text=True)
    assert db.session.get(Organization, org.id).edit_version == version  # nothing was decided
    done = admin.post(f"/admin/organizations/{org.id}", data={**ticked, "version": str(version)})
    assert done.status_code == 302  # the version the page showed is taken


def test_audit_pages_past_the_last_are_a_404(admin: FlaskClient) -> None:
    assert admin.get("/admin/audit?page=1").status_code == 200  # even when the log is empty
    assert admin.get("/admin/audit?page=2").status_code == 404
    assert admin.get("/admin/audit?page=0").status_code == 404
    for bad in ("abc", "-1", "²", "1e3"):
        assert admin.get("/admin/audit", query_string={"page": bad}).status_code == 400, bad


def test_huge_search_pages_are_a_400_that_says_why(client: FlaskClient) -> None:
    for page in (str(2**63), "9" * 5000):
        answer = client.get("/api/v1/organizations", query_string={"page": page})
        assert answer.status_code == 400 and answer.json["param"] == "page"


# Numbers and hidden values in forms -----------------------------------------------------------------


def test_an_amount_the_column_cannot_hold_is_a_field_error(app: Flask, parties: dict) -> None:
    agency = signed_in(app, "officer@example.org")
    for amount in ("1e30", "sNaN", "Infinity", "10000000000"):
        response = agency.post(
            f"/organizations/{parties['org'].slug}/request",
            data={**test_partnerships.FORM, "amount": amount, "form_token": "t", "action": "send"},
        )
        assert response.status_code == 200 and field_error(response.get_data(as_text=True), "amount")
    assert count(PartnershipRequest) == 0


def test_an_unreadable_edit_version_is_a_conflict(
    app: Flask, make_org: Callable, make_user: Callable
) -> None:
    org = make_org(name="Circle")
    make_user("org_member", email="ama@example.org", organization_id=org.id)
    member = signed_in(app, "ama@example.org")
    form = {"name": "Circle"}
    for version in ("9" * 5000, "abc", "-1"):
        response = member.post("/my/organization/edit/about", data={**form, "edit_version": version})
        assert response.status_code == 200
        assert "Someone else saved this profile" in response.get_data(as_text=True)
    assert db.session.get(Organization, org.id).edit_version == org.edit_version
