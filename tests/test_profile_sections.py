"""The profile editor in short sections: each saved on its own, merged into the one pending revision,
checked for conflicts per section in the database, and never approved unread."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from directory.accounts.models import User
from directory.admin import services as admin
from directory.db import now_utc
from directory.extensions import db
from directory.geo import get_geo
from directory.organizations import editing
from directory.organizations.models import (
    ListingRevision,
    ListingSection,
    ListingStatus,
    Organization,
    RevisionStatus,
)
from directory.organizations.sections import SECTIONS, section_of
from directory.organizations.services import OrganizationInput

from .conftest import PASSWORD
from .test_concurrent_writes import just_before
from .test_form_errors import summary_links

PROFILE = {
    "summary": "Loans and training for women.",
    "leadership_narrative": "Survivors run every programme.",
    "models": ["survivor-founded"],
    "focus": ["micro-finance"],
    "trafficking": ["sex"],
    "email": "hello@circle.example",
    "email_visibility": "public",
}
#: One change per section, and the field it shows in.
CHANGES = {
    "about": {"summary": "Savings groups for women."},
    "leadership": {"leadership_narrative": "Survivors hold every seat on the board."},
    "offer": {"services": ["training"]},
    "where": {"city": "Yaoundé"},
    "contacts": {"phone": "+237 600 000 000"},
}


@pytest.fixture
def app(app: Flask) -> Flask:
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def listing(
    app: Flask, make_org: Callable[..., Organization], make_user: Callable[..., User]
) -> Callable[..., tuple[Organization, FlaskClient, Callable[[], FlaskClient]]]:
    """An organization, its member Ama signed in, and a second member, Bola, signed in when asked for."""

    def member(org: Organization, email: str) -> FlaskClient:
        make_user("org_member", email=email, organization_id=org.id)
        client = app.test_client()
        assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
        return client

    def make(
        status: ListingStatus = ListingStatus.APPROVED,
    ) -> tuple[Organization, FlaskClient, Callable[[], FlaskClient]]:
        org = make_org(name="Douala Circle", status=status, **PROFILE)
        return org, member(org, "ama@example.org"), lambda: member(org, "bola@example.org")

    return make


def section_form(client: FlaskClient, section: str, **changes: Any) -> dict[str, Any]:
    """The section's form as its page shows it now (the fields and the version), with ``changes``."""
    page = client.get(f"/my/organization/edit/{section}").get_data(as_text=True)
    form: dict[str, Any] = {}
    for tag in re.findall(r"<(?:input|textarea|select)[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) == "csrf_token":
            continue
        value = re.search(r'value="([^"]*)"', tag)
        if 'type="checkbox"' in tag or 'type="radio"' in tag:
            if "checked" in tag:
                form.setdefault(name.group(1), []).append(value.group(1))
        elif tag.startswith("<input"):
            form[name.group(1)] = value.group(1) if value else ""
    for name in re.findall(r'<textarea[^>]*name="([^"]+)"', page):
        found = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\n?(.*?)</textarea>', page, re.S)
        form[name] = found.group(1) if found else ""
    for name in re.findall(r'<select[^>]*name="([^"]+)"', page):
        block = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S).group(0)
        form[name] = re.findall(
            r'<option[^>]*selected[^>]*value="([^"]*)"|<option[^>]*value="([^"]*)"[^>]*selected', block
        )
        form[name] = [a or b for a, b in form[name]]
    form.update(changes)
    return form


def pending(org: Organization) -> ListingRevision | None:
    return db.session.scalar(
        sa.select(ListingRevision).where(
            ListingRevision.organization_id == org.id, ListingRevision.status == RevisionStatus.PENDING
        )
    )


def test_every_field_of_the_profile_is_in_exactly_one_section() -> None:
    names = [name for section in SECTIONS.values() for name in section.fields]
    assert sorted(names) == sorted(f.name for f in dataclasses.fields(OrganizationInput))
    assert section_of("summary").slug == "about" and section_of("serves").slug == "where"


def test_each_section_saves_alone(listing) -> None:
    org, ama, _bola = listing(ListingStatus.DRAFT)
    for n, section in enumerate(SECTIONS, start=1):
        before = editing.input_to_dict(editing.input_from_org(org))
        form = section_form(ama, section, **CHANGES[section])
        answer = ama.post(f"/my/organization/edit/{section}", data=form)
        assert answer.status_code == 302 and answer.location.endswith("/my/organization/edit"), section
        db.session.refresh(org)
        after = editing.input_to_dict(editing.input_from_org(org))
        assert {k for k in after if after[k] != before[k]} == set(CHANGES[section])  # nothing else moved
        assert editing.section_version(org, section) == 1 and org.edit_version == 1 + n
    assert set(db.session.scalars(sa.select(ListingSection.section))) == set(SECTIONS)


def test_an_error_in_a_section_keeps_what_was_typed_and_saves_nothing(listing) -> None:
    org, ama, _bola = listing(ListingStatus.DRAFT)
    form = section_form(ama, "about", name="", summary="Words typed on a phone.", website="not a url")
    response = ama.post("/my/organization/edit/about", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and re.search(r"<title>Error: ", page)
    assert {"name", "website"} <= dict(summary_links(page)).keys()
    assert 'id="name-error"' in page and 'id="website-error"' in page
    assert "Words typed on a phone." in page and 'value="not a url"' in page
    db.session.refresh(org)
    assert org.summary == PROFILE["summary"] and org.name == "Douala Circle"


def test_two_members_saving_different_sections_both_succeed_into_one_revision(listing) -> None:
    org, ama, second = listing()
    bola = second()
    mine = section_form(ama, "about", summary="Ama's summary.")
    theirs = section_form(bola, "leadership", leadership_narrative="Bola's narrative.")
    assert ama.post("/my/organization/edit/about", data=mine).status_code == 302
    assert bola.post("/my/organization/edit/leadership", data=theirs).status_code == 302
    [revision] = db.session.scalars(sa.select(ListingRevision)).all()
    assert revision.status is RevisionStatus.PENDING
    assert (revision.data["summary"], revision.data["leadership_narrative"]) == (
        "Ama's summary.",
        "Bola's narrative.",
    )
    db.session.refresh(org)
    assert org.summary == PROFILE["summary"]  # the public keeps the approved version
    overview = ama.get("/my/organization/edit").get_data(as_text=True)
    assert overview.count("Changes waiting for review") == 2


def test_the_same_section_saved_by_two_members_shows_the_second_both_versions(listing) -> None:
    org, ama, second = listing()
    bola = second()
    mine = section_form(ama, "about", summary="Ama's summary.")
    theirs = section_form(bola, "about", summary="Bola's summary.")
    assert ama.post("/my/organization/edit/about", data=mine).status_code == 302
    conflict = bola.post("/my/organization/edit/about", data=theirs)
    page = conflict.get_data(as_text=True)
    assert conflict.status_code == 200 and 'class="conflict"' in page
    assert "Ama&#39;s summary." in page and "Bola&#39;s summary." in page
    assert pending(org).data["summary"] == "Ama's summary."
    # saving again from the conflict page (which carries the section's version now) goes through
    again = {**theirs, "edit_version": re.search(r'name="edit_version" type="hidden" value="(\d+)"', page)[1]}
    assert bola.post("/my/organization/edit/about", data=again).status_code == 302
    assert pending(org).data["summary"] == "Bola's summary."


def test_the_section_check_is_the_database_s_conditional_write(listing) -> None:
    org, _ama, _bola = listing()
    user = db.session.scalar(sa.select(User).where(User.email == "ama@example.org"))
    about, leadership = SECTIONS["about"], SECTIONS["leadership"]
    data = dataclasses.replace(editing.input_from_org(org), summary="Mine.", leadership_narrative="Mine.")
    gazetteer = get_geo().gazetteer
    # another member's save of the same section lands between this save's check and its write
    competing = sa.update(ListingSection).values(version=ListingSection.version + 1)
    with just_before("UPDATE listing_section", competing) as fired:
        with pytest.raises(editing.EditConflictError):
            editing.save_section(org, about, data, 0, user, gazetteer)
    assert fired
    db.session.rollback()
    assert pending(org) is None
    # a save of another section at that moment is no conflict
    editing.save_section(org, leadership, data, 0, user, gazetteer)
    db.session.commit()
    assert (
        pending(org).data["leadership_narrative"] == "Mine."
        and pending(org).data["summary"] == PROFILE["summary"]
    )


@pytest.fixture
def admin_client(app: Flask, make_user: Callable[..., User]) -> FlaskClient:
    secret = pyotp.random_base32()
    make_user("admin", email="admin@example.org", totp_secret=secret, totp_confirmed_at=now_utc())
    client = app.test_client()
    client.post("/login", data={"email": "admin@example.org", "password": PASSWORD})
    assert client.post("/login/second-factor", data={"code": pyotp.TOTP(secret).now()}).status_code == 302
    return client


def decision(admin_client: FlaskClient, org: Organization) -> dict[str, Any]:
    """The approval as the review page the admin opens now would send it."""
    page = admin_client.get(f"/admin/organizations/{org.id}").get_data(as_text=True)
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page))
    return {**hidden, "action": "approve", "checklist": list(admin.CHECKLIST)}


def test_a_section_saved_after_the_admin_opened_the_review_is_not_approved_with_it(
    listing, admin_client: FlaskClient
) -> None:
    org, ama, second = listing()
    bola = second()
    ama.post("/my/organization/edit/about", data=section_form(ama, "about", summary="Read by the admin."))
    approval = decision(admin_client, org)
    assert approval["target"] == "revision"
    later = section_form(bola, "leadership", leadership_narrative="Saved after the review began.")
    assert bola.post("/my/organization/edit/leadership", data=later).status_code == 302
    refused = admin_client.post(f"/admin/organizations/{org.id}", data=approval)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "the organization saved more changes since you opened this page" in page
    assert "Saved after the review began." in page  # the page shows what is there now
    db.session.refresh(org)
    assert org.summary == PROFILE["summary"]  # nothing of the revision was approved
    assert pending(org).data["leadership_narrative"] == "Saved after the review began."
    # read again, it is approved whole
    assert (
        admin_client.post(f"/admin/organizations/{org.id}", data=decision(admin_client, org)).status_code
        == 302
    )
    db.session.refresh(org)
    assert (org.summary, org.leadership_narrative) == ("Read by the admin.", "Saved after the review began.")
    assert pending(org) is None


def test_a_pending_listing_saved_after_the_admin_opened_it_is_not_approved(
    listing, admin_client: FlaskClient
) -> None:
    org, ama, _bola = listing(ListingStatus.PENDING)
    approval = decision(admin_client, org)
    ama.post("/my/organization/edit/about", data=section_form(ama, "about", summary="Unread words."))
    refused = admin_client.post(f"/admin/organizations/{org.id}", data=approval)
    assert refused.status_code == 200 and "changed since you opened it" in refused.get_data(as_text=True)
    db.session.refresh(org)
    assert org.status is ListingStatus.PENDING


def test_a_decided_revision_makes_a_form_loaded_before_it_a_conflict(listing, admin_client) -> None:
    org, ama, _bola = listing()
    ama.post("/my/organization/edit/about", data=section_form(ama, "about", summary="Proposed."))
    stale = section_form(ama, "leadership", leadership_narrative="Typed while the admin decided.")
    assert (
        admin_client.post(f"/admin/organizations/{org.id}", data=decision(admin_client, org)).status_code
        == 302
    )
    page = ama.post("/my/organization/edit/leadership", data=stale).get_data(as_text=True)
    assert 'class="conflict"' in page and "Typed while the admin decided." in page
    assert pending(org) is None


def test_the_overview_shows_what_each_section_still_needs(listing) -> None:
    org, ama, _bola = listing(ListingStatus.DRAFT)
    org.summary, org.leadership_narrative = "", ""
    db.session.commit()
    page = ama.get("/my/organization/edit").get_data(as_text=True)
    for section in SECTIONS.values():
        assert f'href="/my/organization/edit/{section.slug}"' in page
    assert "Write a one-sentence summary." in page and "Describe how survivors lead" in page
    assert "Sections ready for review: 3 of 5" in page
    ama.post("/my/organization/edit/about", data=section_form(ama, "about", summary="Loans for women."))
    assert "Sections ready for review: 4 of 5" in ama.get("/my/organization/edit").get_data(as_text=True)
