"""The access-control matrix: every route of the app, for every kind of visitor.

The table is written by hand and must cover exactly the app's URL map (static files aside): a new
route without a row fails ``test_the_matrix_covers_every_route``. Requests run with CSRF protection on;
POSTs carry a valid token and an empty form; apart from signing out, none may change the database.
No GET writes to the database at all (mail scanners and link previews open links): the one exception is
the audit of a read, when a verified agency is shown restricted contact details (``contact.view``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from directory.accounts.models import User
from directory.agencies.models import Agency, AgencyStatus, AgencyType
from directory.assessment.models import Assessment
from directory.db import now_utc
from directory.extensions import db
from directory.organizations.models import Organization, Visibility
from directory.partnerships.services import RequestDraft, notify, send_requests
from directory.reports.models import Report, ReportReason

from .conftest import ON_POSTGRESQL, PASSWORD, ROOT

ADMIN_SECRET = pyotp.random_base32()

ROLES = ("anonymous", "org_a", "org_b", "agency_unverified", "agency_verified", "agency_verified_b", "admin")
ALL = dict.fromkeys(ROLES, 200)


def every(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def signed_in(status: int, anonymous: int = 302) -> dict[str, int]:
    return {**every(status), "anonymous": anonymous}


ORG_MEMBERS_ONLY = {**dict.fromkeys(ROLES, 403), "anonymous": 302, "org_a": 200, "org_b": 200}

AGENCY_MEMBERS_ONLY = {
    **dict.fromkeys(ROLES, 403),
    "anonymous": 302,
    "agency_unverified": 200,
    "agency_verified": 200,
    "agency_verified_b": 200,
}
VERIFIED_AGENCIES_ONLY = {**AGENCY_MEMBERS_ONLY, "agency_unverified": 403}
# Request 1 goes from the verified agency to organization A: only they and admins see it (others: 404).
REQUEST_PARTIES = {
    **dict.fromkeys(ROLES, 404),
    "anonymous": 302,
    "org_a": 200,
    "agency_verified": 200,
    "admin": 200,
}
ADMIN_ONLY = {**dict.fromkeys(ROLES, 403), "anonymous": 302, "admin": 200}

# (endpoint, method) -> {role: expected status}
MATRIX: dict[tuple[str, str], dict[str, int]] = {
    ("pages.home", "GET"): ALL,
    ("pages.about", "GET"): ALL,
    ("pages.privacy", "GET"): ALL,
    ("pages.accessibility", "GET"): ALL,
    ("pages.terms", "GET"): ALL,
    ("pages.contact", "GET"): ALL,
    ("pages.favicon", "GET"): ALL,
    ("pages.robots", "GET"): ALL,
    ("pages.sitemap", "GET"): ALL,
    ("organizations.search_page", "GET"): ALL,
    ("organizations.search_csv", "GET"): ALL,  # public fields only, whoever asks
    ("organizations.profile", "GET"): ALL,
    ("api.organizations", "GET"): ALL,
    ("api.organization", "GET"): ALL,
    ("api.languages", "GET"): ALL,  # the names the language fields suggest
    ("api.organizations_geojson", "GET"): ALL,
    ("api_docs.openapi", "GET"): ALL,
    ("api_docs.reference", "GET"): ALL,
    # The HSDS API shows everyone what the public sees (``id`` is organization A's; it offers no services).
    ("hsds.index", "GET"): ALL,
    ("hsds.organizations", "GET"): ALL,
    ("hsds.organization", "GET"): ALL,
    ("hsds.services", "GET"): ALL,
    ("hsds.service", "GET"): every(404),
    ("hsds.service_at_locations", "GET"): ALL,
    ("hsds.service_at_location", "GET"): every(404),
    ("hsds.taxonomies", "GET"): ALL,
    ("hsds.taxonomy", "GET"): every(404),
    ("hsds.taxonomy_terms", "GET"): ALL,
    ("hsds.taxonomy_term", "GET"): every(404),
    ("hsds.export_package", "GET"): ALL,
    ("maps.countries", "GET"): ALL,
    ("accounts.register_organization", "GET"): ALL,
    ("accounts.register_organization", "POST"): ALL,  # empty form: shown again with its errors
    ("accounts.register_agency", "GET"): ALL,
    ("accounts.register_agency", "POST"): ALL,
    ("accounts.check_email", "GET"): ALL,
    ("accounts.finish_registration", "GET"): every(400),  # the token is not valid
    ("accounts.finish_registration", "POST"): every(400),
    ("accounts.login", "GET"): ALL,
    ("accounts.login", "POST"): ALL,
    ("accounts.two_factor", "GET"): every(302),  # no password step pending: back to sign in
    ("accounts.two_factor", "POST"): every(302),
    ("accounts.logout", "POST"): every(302),  # anonymous: to sign in; others: signed out, home
    ("accounts.account", "GET"): signed_in(200),
    ("accounts.account", "POST"): signed_in(400),  # no action named
    ("accounts.resend_confirmation", "POST"): signed_in(302),  # already confirmed: nothing to send
    ("accounts.save_language", "POST"): signed_in(200),  # no language chosen: the field says so
    ("accounts.delete_account", "GET"): signed_in(200),
    ("accounts.delete_account", "POST"): signed_in(200),  # no password: shown again
    ("accounts.members", "GET"): {**signed_in(200), "admin": 404},  # admins belong to no organization
    ("accounts.members", "POST"): {**signed_in(200), "admin": 404},  # an empty form: shown again
    ("accounts.accept_invitation", "GET"): every(400),  # the token is not valid
    ("accounts.accept_invitation", "POST"): every(400),
    ("accounts.forgot_password", "GET"): ALL,
    ("accounts.forgot_password", "POST"): ALL,
    ("accounts.reset_password_page", "GET"): every(400),  # the token is not valid
    ("accounts.reset_password_page", "POST"): every(400),
    ("accounts.confirm", "GET"): every(400),
    ("accounts.confirm", "POST"): every(400),
    ("workspace.dashboard", "GET"): ORG_MEMBERS_ONLY,
    ("workspace.edit", "GET"): ORG_MEMBERS_ONLY,  # the editor's sections, with their progress
    ("workspace.edit_section", "GET"): ORG_MEMBERS_ONLY,
    ("workspace.edit_section", "POST"): ORG_MEMBERS_ONLY,  # an empty form: shown again with its errors
    ("workspace.delete", "GET"): ORG_MEMBERS_ONLY,
    ("workspace.delete", "POST"): ORG_MEMBERS_ONLY,  # no password: shown again
    ("workspace.requests_setting", "POST"): {**ORG_MEMBERS_ONLY, "org_a": 302, "org_b": 302},
    ("workspace.submit", "POST"): {**ORG_MEMBERS_ONLY, "org_a": 302, "org_b": 302},  # already published
    ("admin.queue", "GET"): ADMIN_ONLY,
    ("admin.review_organization", "GET"): ADMIN_ONLY,
    ("admin.review_organization", "POST"): ADMIN_ONLY,  # no decision named: shown again
    ("admin.review_agency", "GET"): ADMIN_ONLY,
    ("admin.review_agency", "POST"): ADMIN_ONLY,
    ("admin.audit", "GET"): ADMIN_ONLY,
    ("admin.feedback", "GET"): ADMIN_ONLY,
    ("admin.dashboard", "GET"): ADMIN_ONLY,
    ("admin.users", "GET"): ADMIN_ONLY,
    ("admin.users", "POST"): ADMIN_ONLY,  # no account named: shown again
    ("admin.review_report", "GET"): ADMIN_ONLY,
    ("admin.review_report", "POST"): ADMIN_ONLY,  # no decision named: shown again
    ("agencies.agency", "GET"): AGENCY_MEMBERS_ONLY,
    ("agencies.agency", "POST"): AGENCY_MEMBERS_ONLY,  # an empty form: shown again with its errors
    ("partnerships.new_request", "GET"): VERIFIED_AGENCIES_ONLY,
    ("partnerships.new_request", "POST"): VERIFIED_AGENCIES_ONLY,  # an empty form: shown again
    # no organization chosen (the matrix passes no query string): nothing to request from
    ("partnerships.new_requests", "GET"): {
        **AGENCY_MEMBERS_ONLY,
        "agency_unverified": 404,
        "agency_verified": 404,
        "agency_verified_b": 404,
    },
    ("partnerships.new_requests", "POST"): {
        **AGENCY_MEMBERS_ONLY,
        "agency_unverified": 404,
        "agency_verified": 404,
        "agency_verified_b": 404,
    },
    ("partnerships.index", "GET"): signed_in(200),
    ("partnerships.show", "GET"): REQUEST_PARTIES,
    # no step named: parties are sent back to the request, unchanged; others learn nothing
    ("partnerships.move", "POST"): {**REQUEST_PARTIES, "org_a": 302, "agency_verified": 302, "admin": 302},
    # blocking: the organization is asked to confirm first; the agency and admins are sent back, unchanged
    ("partnerships.block", "POST"): {**REQUEST_PARTIES, "org_a": 200, "agency_verified": 302, "admin": 302},
    ("partnerships.feedback", "POST"): {
        **REQUEST_PARTIES,
        "org_a": 302,
        "agency_verified": 302,
        "admin": 302,
    },
    # an empty message: the page again, with the reason at the field (admins read but do not write)
    ("partnerships.message", "POST"): {**REQUEST_PARTIES, "org_a": 200, "agency_verified": 200, "admin": 200},
    ("partnerships.mark_read", "POST"): {
        **REQUEST_PARTIES,
        "org_a": 302,
        "agency_verified": 302,
        "admin": 302,
    },
    ("assessment.questionnaire", "GET"): {**signed_in(200), "admin": 404},  # belongs to an org or agency
    ("assessment.questionnaire", "POST"): {**signed_in(200), "admin": 404},  # unanswered: shown again
    ("assessment.result", "GET"): {**dict.fromkeys(ROLES, 404), "anonymous": 302, "org_a": 200},
    ("reports.report", "GET"): ALL,
    ("reports.report", "POST"): ALL,  # an empty form: shown again with its errors
    # "still correct": queues the published listing for re-verification
    ("workspace.confirm_current", "POST"): {**ORG_MEMBERS_ONLY, "org_a": 302, "org_b": 302},
    # last, since it takes the member's listing out of the directory
    ("workspace.unpublish", "POST"): {**ORG_MEMBERS_ONLY, "org_a": 302, "org_b": 302},
}

#: Allowed POSTs that act on an empty form (every other POST must leave the database unchanged).
CHANGES_ALLOWED = {
    ("workspace.requests_setting", "org_a"),  # an empty form means "pause"
    ("workspace.requests_setting", "org_b"),
    ("workspace.confirm_current", "org_a"),
    ("workspace.confirm_current", "org_b"),
    ("partnerships.mark_read", "org_a"),  # those who see the request mark their notices about it read
    ("partnerships.mark_read", "agency_verified"),
    ("partnerships.mark_read", "admin"),
    ("workspace.unpublish", "org_a"),
    ("workspace.unpublish", "org_b"),
}


@pytest.fixture
def people(
    make_org: Callable[..., Organization], make_user: Callable[..., User]
) -> dict[str, dict[str, Any]]:
    org_a = make_org(name="Organization A")
    org_b = make_org(name="Organization B")
    pending = Agency(name="Pending", agency_type=AgencyType.BUSINESS, country_code="KE")
    verified = Agency(
        name="Verified", agency_type=AgencyType.GOVERNMENT, country_code="KE", status=AgencyStatus.VERIFIED
    )
    verified_b = Agency(
        name="Verified B",
        agency_type=AgencyType.CIVIL_SOCIETY,
        country_code="NG",
        status=AgencyStatus.VERIFIED,
    )
    db.session.add_all([pending, verified, verified_b])
    db.session.commit()
    users = {
        "org_a": make_user("org_member", email="a@example.org", organization_id=org_a.id),
        "org_b": make_user("org_member", email="b@example.org", organization_id=org_b.id),
        "agency_unverified": make_user("agency_member", email="u@example.org", agency_id=pending.id),
        "agency_verified": make_user("agency_member", email="v@example.org", agency_id=verified.id),
        "agency_verified_b": make_user("agency_member", email="vb@example.org", agency_id=verified_b.id),
        "admin": make_user(
            "admin", email="admin@example.org", totp_secret=ADMIN_SECRET, totp_confirmed_at=now_utc()
        ),
    }
    [partnership] = send_requests(
        users["agency_verified"],
        [org_a],
        RequestDraft(
            title="T",
            summary="S",
            stages=["design"],
            maturity="idea",
            engagement="trainer",
            paid=False,
            respond_by=date(2030, 1, 1),
        ),
        "matrix-token",
        date(2029, 1, 1),
    )
    # Something for a GET to be tempted by: an unread notice for everyone, restricted contact details.
    notify(partnership, list(users.values()), "A notice")
    org_a.email, org_a.email_visibility = "office@example.org", Visibility.VERIFIED_AGENCIES
    assessment = Assessment(organization_id=org_a.id, answers={}, scores={"overall": 0})
    db.session.add(assessment)
    report = Report(organization_id=org_a.id, reason=ReportReason.CLOSED, sender_key="x")
    db.session.add(report)
    db.session.commit()
    params = {
        "slug": org_a.slug,
        "token": "not-a-valid-token",
        "org_id": org_a.id,
        "agency_id": pending.id,
        "report_id": report.id,
        "request_id": partnership.id,
        "assessment_id": assessment.id,
        "section": "about",
        "id": org_a.uuid,
    }
    return {"users": users, "params": params}


def _csrf(client: FlaskClient) -> str:
    page = client.get("/login").get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, "no CSRF token on the sign-in page"
    return match.group(1)


def _client(app: Flask, role: str, people: dict[str, Any]) -> FlaskClient:
    client = app.test_client()
    if role != "anonymous":
        email = people["users"][role].email
        response = client.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": _csrf(client)}
        )
        assert response.status_code == 302, f"{role} could not sign in"
        if role == "admin":
            # a code is accepted once: forget the last one used, so this table can sign in again
            admin = people["users"]["admin"]
            admin.totp_last_step = None
            db.session.commit()
            code = pyotp.TOTP(ADMIN_SECRET).now()
            response = client.post("/login/second-factor", data={"code": code, "csrf_token": _csrf(client)})
            assert response.status_code == 302, "the admin could not pass the second factor"
    return client


def _assert_errors_are_summed_up(page: str, where: str) -> None:
    """A form shown again with errors says so in its title and lists every error at the top, each
    linked to its field (which carries the message too)."""
    invalid = set(
        re.findall(r'id="([\w-]+)"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="([\w-]+)"', page)
    )
    invalid_ids = {a or b for a, b in invalid}
    if not invalid_ids:
        return
    assert re.search(r"<title>Error: ", page), f"{where}: the title does not start with Error:"
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert summary, f"{where}: no error summary"
    linked = set(re.findall(r'href="#([\w-]+)"', summary.group(0)))
    assert invalid_ids <= linked, f"{where}: {invalid_ids - linked} not in the summary"


def _snapshot() -> dict[str, list[tuple]]:
    tables = [t for t in db.metadata.sorted_tables if t.name != "login_attempt"]
    db.session.expire_all()
    return {t.name: sorted(map(tuple, db.session.execute(sa.select(t)).all()), key=repr) for t in tables}


WRITES = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)
#: GETs that may record a read in the audit log (and write nothing else).
AUDITED_READS = {"organizations.profile", "api.organization"}


@contextmanager
def writes_recorded() -> Iterator[list[str]]:
    """The writes (INSERT, UPDATE, DELETE, with their table) sent to the database while the block runs.

    Stricter than comparing snapshots: a write that happens to change nothing (marking read what was
    already read) is still a GET that writes."""
    found: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        match = WRITES.match(statement)
        if match:
            found.append(f"{match.group(1).split()[0].upper()} {match.group(2)}")

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield found
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def test_the_matrix_covers_every_route(app: Flask) -> None:
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert routes == set(MATRIX)


@pytest.mark.parametrize("role", ROLES)
def test_access(app: Flask, people: dict[str, Any], role: str) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    client = _client(app, role, people)
    audited_reads = 0
    for (endpoint, method), expected in MATRIX.items():
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        with app.test_request_context():
            url = app.url_for(endpoint, **{k: people["params"][k] for k in rule.arguments})
        url = url.replace("http://localhost", "")
        if method == "GET":
            with writes_recorded() as writes:
                response = client.get(url)
            allowed = ["INSERT audit_entry"] if endpoint in AUDITED_READS else []
            assert writes in ([], allowed), f"{role} GET {url} wrote to the database: {writes}"
            audited_reads += bool(writes)
        else:
            before = _snapshot()
            response = client.post(url, data={"csrf_token": _csrf(client)})
            signs_out = endpoint == "accounts.logout" and role != "anonymous"
            if (endpoint, role) in CHANGES_ALLOWED:
                pass
            elif not signs_out:
                # Refused, or an empty form shown again: either way nothing may have changed.
                assert _snapshot() == before, f"{role} {method} {endpoint} changed the database"
            else:
                client = _client(app, role, people)  # sign in again for the rest of the table
        assert response.status_code == expected[role], f"{role} {method} {url}"
        if method == "POST" and response.status_code == 200:
            _assert_errors_are_summed_up(response.get_data(as_text=True), f"{role} {method} {url}")
    # the one exception is exercised: verified agencies see the restricted address, and that is recorded
    assert bool(audited_reads) is (role in ("agency_verified", "agency_verified_b"))


class EnglishLeft:
    """Finds English sentences of the catalog left in a text. Each sentence is looked up by its longest
    inner word (a word inside a sentence is a word of any text containing it), so a page is checked with one
    pass over its words and a few substring tests, not one pass per sentence."""

    def __init__(self, sentences: set[str]) -> None:
        self.by_word: dict[str, list[str]] = {}
        for sentence in sentences:
            inner = re.findall(r"[A-Za-z]+", sentence)[1:-1] or re.findall(r"[A-Za-z]+", sentence)
            self.by_word.setdefault(max(inner, key=len), []).append(sentence)

    def search(self, text: str) -> str | None:
        """The longest English sentence found in ``text``, or None."""
        found = [
            sentence
            for word in set(re.findall(r"[A-Za-z]+", text)) & self.by_word.keys()
            for sentence in self.by_word[word]
            if sentence in text
        ]
        return max(found, key=len) if found else None


@functools.cache
def _english_messages(language: str) -> EnglishLeft:
    """English sentences of the catalog (four words or more) that ``language`` says differently: none of
    them may be left on a page shown in ``language``."""
    from babel.messages.pofile import read_po

    with open(ROOT / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f, locale=language)
    sentences = set()
    for message in catalog:
        ids = [message.id] if isinstance(message.id, str) else list(message.id or ())
        for text in ids:
            # The fixed words of the message, between its placeholders and markup.
            for part in re.split(r"%\(\w+\)[sd]|<[^>]+>", text):
                if len(part.split()) >= 4 and part.strip() not in str(message.string):
                    sentences.add(part.strip())
    return EnglishLeft(sentences)


def test_english_left_on_a_page_is_found() -> None:
    """The check the pages are held to: an English sentence of the catalog inside other text is found, at
    the start, the middle or the end of it, and the French for it is not."""
    english = _english_messages("fr")
    for text in (
        "Save as a draft, then",
        "Voici : Choose at least one leadership model. Merci",
        "fin. How to delete it",
    ):
        assert english.search(text) is not None, text
    assert english.search("Choisissez au moins un modèle de leadership.") is None
    assert english.search("Save as") is None  # a part of a sentence


@pytest.mark.skipif(ON_POSTGRESQL, reason="pages render alike on both databases: checked once, on SQLite")
@pytest.mark.parametrize("role", ROLES)
def test_every_page_in_every_language(app: Flask, people: dict[str, Any], role: str) -> None:
    """Every page of the matrix, for every role, in French, Spanish and Portuguese: the same answer as in
    English, no server error, ``<html lang>`` saying the language shown, and no English sentence left."""
    app.config["WTF_CSRF_ENABLED"] = True
    client = _client(app, role, people)
    for language in ("fr", "es", "pt"):
        english = _english_messages(language)
        client.set_cookie("lang", language)
        for (endpoint, method), expected in MATRIX.items():
            if endpoint == "accounts.logout" or (endpoint, role) in CHANGES_ALLOWED:
                continue  # steps that change what the next language's pass would see (they redirect)
            rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
            with app.test_request_context():
                url = app.url_for(endpoint, **{k: people["params"][k] for k in rule.arguments})
            url = url.replace("http://localhost", "")
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": _csrf(client)})
            where = f"{role} {method} {url} in {language}"
            assert response.status_code == expected[role], where
            if response.mimetype == "text/html" and response.status_code != 302:
                page = response.get_data(as_text=True)
                assert f'<html lang="{language}">' in page, where
                text = re.sub(r"<[^>]+>", " ", page.split("</head>")[-1])
                left = english.search(text)
                assert left is None, f"{where}: English left on the page: {left!r}"
                # A stored code shown as it is ("more_info_requested", "near_final") is never a label
                # (code written as code, a parameter's name in <code>, is not a label either).
                prose = re.sub(r"<[^>]+>", " ", re.sub(r"<code>.*?</code>", " ", page.split("</head>")[-1]))
                raw = re.search(r"\b[a-z]+_[a-z_]+\b", prose)
                assert raw is None, f"{where}: a raw value on the page: {raw.group(0) if raw else ''!r}"


@pytest.mark.skipif(ON_POSTGRESQL, reason="pages render alike on both databases: checked once, on SQLite")
def test_the_dashboard_names_states_stages_findings_and_focus_in_the_readers_language(
    app: Flask, people: dict[str, Any]
) -> None:
    """The charts count stored codes; each bar and each table row is named by its label, in French."""
    from flask_babel import force_locale

    from directory.labels import facet_label, state_label
    from directory.partnerships.checks import finding_title
    from directory.partnerships.stats import dashboard
    from directory.partnerships.vocabulary import term_label

    app.config["WTF_CSRF_ENABLED"] = True
    client = _client(app, "admin", people)
    client.set_cookie("lang", "fr")
    page = client.get("/admin/dashboard").get_data(as_text=True)
    figures = dashboard()
    with app.test_request_context("/"), force_locale("fr"):
        wanted = (
            [state_label(code) for code, _n in figures.by_state]
            + [term_label("stages", code) for code, _n in figures.by_stage]
            + [finding_title(code) for code, _n in figures.findings]
            + [facet_label("focus", code, "fr") for code, _n in figures.listings_by_focus]
        )
    assert figures.by_state and figures.findings and len(wanted) >= 4
    for label in wanted:
        assert f'<th scope="row">{label}</th>' in page.replace("&#39;", "'"), label
