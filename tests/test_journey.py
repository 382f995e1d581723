"""The rest of the journey: the partnership request page (labels, actions, confirmation, safety), sorting
by distance without a place, the admin's QR code, the public pages, and where sign-in lands."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pyotp
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from directory.accounts.models import User
from directory.agencies.models import Agency, AgencyStatus, AgencyType
from directory.extensions import db
from directory.organizations.models import Organization
from directory.partnerships import vocabulary
from directory.partnerships.models import (
    ENDING_STATES,
    REQUEST_TRANSITIONS,
    AgencyBlock,
    Notification,
    PartnershipRequest,
    RequestState,
)
from directory.partnerships.services import RequestDraft, send_requests

from .conftest import PASSWORD

#: argon2id is slow on purpose; these tests care where signing in leads, not how a password is hashed.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="module")
def password_hash() -> str:
    """The fixture users' password, hashed cheaply (the conftest's is hashed at full cost)."""
    return FAST_HASHER.hash(PASSWORD)


@pytest.fixture
def app(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Flask:
    from directory.accounts import passwords

    monkeypatch.setattr(passwords, "HASHER", FAST_HASHER)
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, f"{email} could not sign in"
    return client


def visible_text(html: str) -> str:
    """What a reader sees: the page without its tags (attribute values, such as a button's value, go)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def parties(make_org: Callable[..., Organization], make_user: Callable[..., User]) -> dict:
    agency = Agency(
        name="Labour Ministry",
        agency_type=AgencyType.GOVERNMENT,
        country_code="CM",
        status=AgencyStatus.VERIFIED,
    )
    db.session.add(agency)
    db.session.commit()
    org = make_org(name="Douala Circle")
    return {
        "org": org,
        "agency_user": make_user("agency_member", email="officer@example.org", agency_id=agency.id),
        "org_user": make_user("org_member", email="ama@example.org", organization_id=org.id),
    }


#: A request with every detail filled in, most of them stored as values that are not words.
EVERYTHING = RequestDraft(
    title="Labour inspection training",
    summary="Design and deliver training for inspectors.",
    stages=["design", "evaluation"],
    maturity="near_final",
    engagement="staff-position",
    paid=True,
    amount=Decimal("1500.00"),
    currency="EUR",
    basis="fixed_fee",
    respond_by=date(2099, 12, 18),
    start_date=date(2100, 1, 11),
    end_date=date(2100, 3, 5),
    mode="in_person",
    place="Douala",
    languages=["fr", "dua"],
    concerns=["sex", "labor"],
    perspectives=["sex", "labor"],
    diversity=["national_origin", "sexual_orientation"],
    asks_personal_story=False,
    commitments=["no_story_required", "support_person", "right_to_withdraw"],
)

#: Every stored value of EVERYTHING that is not already a word a reader would use.
RAW_VALUES = [
    "near_final",
    "staff-position",
    "fixed_fee",
    "in_person",
    "national_origin",
    "sexual_orientation",
    "no_story_required",
    "support_person",
    "right_to_withdraw",
    "more_info_requested",
]


def send(parties: dict, draft: RequestDraft = EVERYTHING, *, as_draft: bool = False) -> PartnershipRequest:
    [sent] = send_requests(
        parties["agency_user"], [parties["org"]], draft, "journey-token", date(2099, 1, 4), as_draft=as_draft
    )
    db.session.commit()
    return sent


def test_every_step_has_a_name_and_every_ending_is_confirmed_first() -> None:
    assert set(vocabulary.ACTIONS) == set(REQUEST_TRANSITIONS)
    assert vocabulary.CONFIRM_FIRST == ENDING_STATES == set(vocabulary.CONFIRMATIONS)


def test_the_request_page_shows_every_detail_by_its_label(app: Flask, parties: dict, outbox) -> None:
    request = send(parties)
    member = signed_in(app, "ama@example.org")
    member.post(f"/requests/{request.id}/move", data={"to": "more_info_requested"})
    agency = signed_in(app, "officer@example.org")
    page = agency.get(f"/requests/{request.id}").get_data(as_text=True)
    text = visible_text(page)
    for label in (
        "Program development and design, Evaluation",
        "Nearly final",
        "Staff position",
        "€1,500.00, a fixed fee",
        "Dec 18, 2099",
        "Jan 11, 2100",
        "Mar 5, 2100",
        "In person · Douala",
        "French, Duala",
        "Sex trafficking, Labor trafficking",
        "National origin, Sexual orientation",
        "No one is required to share their personal story, A support person is welcome, The right to",
        "more information requested",
    ):
        assert label in text, label
    listing = visible_text(agency.get("/requests").get_data(as_text=True))
    mail = "\n".join(outbox())
    assert "more information requested" in mail
    for where, shown in (("the request page", text), ("the list", listing), ("the emails", mail)):
        for raw in RAW_VALUES:
            assert raw not in shown, f"{raw} shown on {where}"


def test_the_organization_decides_with_named_actions_and_blocks_apart(app: Flask, parties: dict) -> None:
    request = send(parties)
    member = signed_in(app, "ama@example.org")
    page = member.get(f"/requests/{request.id}").get_data(as_text=True)
    decision = re.search(r'<section class="decision".*?</section>', page, re.S).group(0)
    buttons = re.findall(r"<button[^>]*>([^<]+)</button>", decision)
    assert buttons == ["Accept", "Decline", "Ask for more information"]
    safety = re.search(r'<section class="safety".*?</section>', page, re.S).group(0)
    assert ">Safety</h2>" in safety and "Block this agency" in safety
    assert "Block this agency" not in decision
    agency = signed_in(app, "officer@example.org")
    mine = agency.get(f"/requests/{request.id}").get_data(as_text=True)
    assert re.findall(r'<button[^>]*name="to"[^>]*>([^<]+)</button>', mine) == ["Withdraw"]
    assert 'class="safety"' not in mine


def test_declining_asks_for_confirmation_first_without_javascript(app: Flask, parties: dict) -> None:
    request = send(parties)
    member = signed_in(app, "ama@example.org")
    asked = member.post(
        f"/requests/{request.id}/move", data={"to": "declined", "from": "sent", "note": "Sorry."}
    )
    assert asked.status_code == 200
    page = asked.get_data(as_text=True)
    assert "Decline this request?" in page and "cannot be undone" in page
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', page, re.S)
    assert form.group(1) == f"/requests/{request.id}/move"
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form.group(2)))
    del fields["csrf_token"]
    assert fields == {"confirmed": "yes", "to": "declined", "from": "sent"}
    assert ">Sorry.</textarea>" in form.group(2)  # the note typed on the request page is kept
    assert f'href="/requests/{request.id}"' in form.group(2)  # and a way back
    db.session.refresh(request)
    assert request.state is RequestState.SENT  # nothing happens until confirmed
    member.post(f"/requests/{request.id}/move", data={**fields, "note": "Sorry."})
    db.session.refresh(request)
    assert request.state is RequestState.DECLINED and request.events[-1].note == "Sorry."


def test_accepting_needs_no_confirmation_but_says_what_it_shares(app: Flask, parties: dict) -> None:
    request = send(parties)
    member = signed_in(app, "ama@example.org")
    page = member.get(f"/requests/{request.id}").get_data(as_text=True)
    assert "Accepting shows this agency the contact details" in page
    member.post(f"/requests/{request.id}/move", data={"to": "accepted", "from": "sent"})
    db.session.refresh(request)
    assert request.state is RequestState.ACCEPTED


def test_blocking_asks_for_confirmation_first(app: Flask, parties: dict) -> None:
    request = send(parties)
    member = signed_in(app, "ama@example.org")
    blocks = sa.select(sa.func.count(AgencyBlock.id))
    asked = member.post(f"/requests/{request.id}/block")
    assert asked.status_code == 200 and "Block Labour Ministry?" in asked.get_data(as_text=True)
    assert db.session.scalar(blocks) == 0
    member.post(f"/requests/{request.id}/block", data={"confirmed": "yes"})
    assert db.session.scalar(blocks) == 1
    page = member.get(f"/requests/{request.id}").get_data(as_text=True)
    assert "You have blocked this agency" in page and ">Block this agency</button>" not in page


def test_withdrawing_a_draft_tells_the_organization_nothing(app: Flask, parties: dict) -> None:
    request = send(parties, as_draft=True)
    agency = signed_in(app, "officer@example.org")
    agency.post(f"/requests/{request.id}/move", data={"to": "withdrawn", "confirmed": "yes"})
    db.session.refresh(request)
    assert request.state is RequestState.WITHDRAWN
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def test_setting_up_the_second_factor_shows_a_qr_code_the_policy_allows(
    app: Flask, make_user: Callable[..., User]
) -> None:
    from directory.accounts.two_factor import provisioning_uri, qr_code_svg

    from .test_security_headers import INLINE

    admin = make_user("admin", email="admin@example.org")
    client = app.test_client()
    client.post("/login", data={"email": "admin@example.org", "password": PASSWORD})
    assert "<svg" not in client.get("/login/second-factor").get_data(as_text=True)  # not before set-up
    page = client.post("/login/second-factor", data={"action": "setup"}, follow_redirects=True)
    html = page.get_data(as_text=True)
    secret = re.search(r"<code>([A-Z2-7]{16,})</code>", html).group(1)
    shown = re.search(r'<div class="qr" role="img" aria-label="[^"]+">(<svg .*?</svg>)</div>', html, re.S)
    assert shown, "no QR code beside the key"
    assert shown.group(1) == str(qr_code_svg(provisioning_uri(admin, secret)))  # it encodes the key's address
    assert [what for what, pattern in INLINE.items() if pattern.search(shown.group(1))] == []
    done = client.post("/login/second-factor", data={"code": pyotp.TOTP(secret).now()})
    landing = 'href="/admin/">I have saved them: continue'  # an admin lands on the review queue
    assert landing in done.get_data(as_text=True)


def test_sorting_by_distance_without_a_place_says_what_to_do_and_still_shows_results(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    make_org(name="Douala Circle")
    page = client.get("/organizations", query_string={"sort": "distance", "q": "circle"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'class="notice" role="status">Sorting by distance needs a place' in html
    assert "Douala Circle" in html and "1 organization" in html
    assert '<option value="distance" selected>' not in html  # the form shows the order in force
    api = client.get("/api/v1/organizations", query_string={"sort": "distance"})
    assert api.status_code == 400 and api.json["param"] == "sort"  # a program is told plainly


def test_the_within_default_is_the_same_on_the_home_and_search_pages(app: Flask, client: FlaskClient) -> None:
    def chosen(path: str) -> list[str]:
        html = client.get(path).get_data(as_text=True)
        select = re.search(r'<select id="radius_km".*?</select>', html, re.S).group(0)
        return re.findall(r'<option value="(\d+)" selected>', select)

    assert chosen("/") == chosen("/organizations") == [str(app.config["SEARCH_DEFAULT_RADIUS_KM"])]
    app.config["SEARCH_DEFAULT_RADIUS_KM"] = 300  # one setting moves both
    assert chosen("/") == chosen("/organizations") == ["300"]


def test_signing_in_lands_each_person_where_their_work_is(
    app: Flask, parties: dict, make_user: Callable[..., User]
) -> None:
    def lands(email: str, query: str = "") -> str:
        response = app.test_client().post(f"/login{query}", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302
        return response.location

    assert lands("ama@example.org") == "/my/organization"  # the organization's listing
    assert lands("officer@example.org") == "/requests"  # the agency's requests
    assert lands("ama@example.org", "?next=/requests") == "/requests"  # a safe next wins
    assert lands("officer@example.org", "?next=https://evil.example/") == "/requests"  # an unsafe one: no
    make_user("org_member", email="alone@example.org")  # a member of nothing yet
    assert lands("alone@example.org") == "/account"


PUBLIC_PAGES = {
    "/privacy": "Privacy notice",
    "/accessibility": "Accessibility statement",
    "/terms": "Terms of use",
    "/contact": "Contact us",
}


def test_the_public_pages_are_linked_from_every_footer(client: FlaskClient) -> None:
    for path in ("/", "/organizations", "/login", *PUBLIC_PAGES):
        html = client.get(path).get_data(as_text=True)
        footer = re.search(r'<footer class="site-footer">.*?</footer>', html, re.S).group(0)
        for target, title in PUBLIC_PAGES.items():
            assert f'<a href="{target}">{title}</a>' in footer, (path, target)
    for target, title in PUBLIC_PAGES.items():
        page = client.get(target)
        assert page.status_code == 200 and f"<h1>{title}</h1>" in page.get_data(as_text=True)


def test_the_privacy_notice_says_how_to_delete_and_who_sees_what(client: FlaskClient) -> None:
    text = visible_text(client.get("/privacy").get_data(as_text=True))
    for words in (
        "What is stored",
        "Who sees what",
        "How to delete it",
        "Delete your account",
        "no analytics",
    ):
        assert words in text, words


def test_the_contact_page_shows_the_configured_address(app: Flask, client: FlaskClient) -> None:
    assert "mailto:" not in client.get("/contact").get_data(as_text=True)  # none made up
    app.config["CONTACT_EMAIL"] = "team@directory.example"
    html = client.get("/contact").get_data(as_text=True)
    assert '<a href="mailto:team@directory.example">team@directory.example</a>' in html


def test_registering_is_reachable_from_the_home_page_and_the_navigation(
    app: Flask, client: FlaskClient, parties: dict
) -> None:
    links = (
        'href="/register/organization">Register your organization',
        'href="/register/agency">Register as',
    )
    home = client.get("/").get_data(as_text=True)
    main = re.search(r'<main id="main".*?</main>', home, re.S).group(0)
    for html in (main, re.search(r'<nav aria-label="Main">.*?</nav>', home, re.S).group(0)):
        assert all(link in html for link in links)
    search_nav = re.search(
        r'<nav aria-label="Main">.*?</nav>', client.get("/about").get_data(as_text=True), re.S
    )
    assert all(link in search_nav.group(0) for link in links)
    member_nav = signed_in(app, "ama@example.org").get("/about").get_data(as_text=True)
    assert "Register your organization" not in re.search(
        r'<nav aria-label="Main">.*?</nav>', member_nav, re.S
    ).group(0)


def test_favicon_is_a_small_real_icon_served_here(client: FlaskClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/vnd.microsoft.icon"
    data = response.get_data()
    assert data[:4] == b"\x00\x00\x01\x00" and int.from_bytes(data[4:6], "little") >= 1  # an ICO header
    assert len(data) < 5_000
    assert '<link rel="icon" href="/favicon.ico"' in client.get("/").get_data(as_text=True)


def _robots_allows(robots: str, path: str) -> bool:
    """Whether a crawler may fetch ``path``: the longest matching rule wins, ``*`` matches anything."""
    best, allowed = -1, True
    for line in robots.splitlines():
        field, _, value = line.partition(":")
        value = value.strip()
        if field.strip().lower() not in ("allow", "disallow") or not value:
            continue
        if re.match(".*".join(map(re.escape, value.split("*"))), path) and len(value) > best:
            best, allowed = len(value), field.strip().lower() == "allow"
    return allowed


def test_robots_keeps_crawlers_out_of_every_private_area(app: Flask, client: FlaskClient) -> None:
    from directory.pages.views import PUBLIC_PAGES as SITEMAP_PAGES

    robots = client.get("/robots.txt").get_data(as_text=True)
    assert robots.startswith("User-agent: *") and "Sitemap: http://localhost/sitemap.xml" in robots
    public = {
        *SITEMAP_PAGES,
        "organizations.profile",
        "pages.favicon",
        "pages.robots",
        "pages.sitemap",
        "static",
    }
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<[^>]+>", "x", rule.rule)
        assert _robots_allows(robots, path) is (rule.endpoint in public), rule.rule
    assert not _robots_allows(robots, "/organizations?focus=micro-finance&country=CM")  # no endless facets


def test_the_sitemap_lists_the_public_pages_and_only_published_profiles(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    from directory.organizations.models import ListingStatus

    shown = make_org(name="Published Circle")
    make_org(name="Hidden Place Circle", location_precision="hidden")  # published, its place private
    never = [
        make_org(name=f"Not public {status.value}", status=status)
        for status in ListingStatus
        if status is not ListingStatus.APPROVED
    ]
    never.append(make_org(name="Demo Circle", is_demo=True))  # fictional: not for search engines
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    xml = response.get_data(as_text=True)
    locations = re.findall(r"<loc>([^<]+)</loc>", xml)
    assert "http://localhost/organizations/published-circle" in locations
    assert "http://localhost/organizations/hidden-place-circle" in locations
    for org in never:
        assert org.slug not in xml, org.name
    for path in ("/", "/about", "/organizations", "/privacy", "/accessibility", "/terms", "/contact"):
        assert f"http://localhost{path}" in locations
    assert re.search(rf"<loc>[^<]*/{shown.slug}</loc><lastmod>\d{{4}}-\d\d-\d\d</lastmod>", xml)
