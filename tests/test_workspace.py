"""Organizations editing their own listing: drafts, submission, revisions, safety-first changes."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from directory.accounts.models import User
from directory.audit.models import AuditEntry
from directory.extensions import db
from directory.geo import get_geo
from directory.organizations import editing
from directory.organizations.models import ListingRevision, ListingStatus, Organization, RevisionStatus

from .conftest import PASSWORD


@pytest.fixture
def app(app: Flask) -> Flask:
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def member(
    client: FlaskClient, make_org: Callable[..., Organization], make_user: Callable[..., User]
) -> Callable[..., tuple[Organization, FlaskClient]]:
    def sign_in(
        status: ListingStatus = ListingStatus.APPROVED, **fields: Any
    ) -> tuple[Organization, FlaskClient]:
        fields.setdefault("summary", "Loans and training for women.")
        fields.setdefault("leadership_narrative", "Survivors run every programme.")
        fields.setdefault("models", ["survivor-founded"])
        fields.setdefault("focus", ["micro-finance"])
        fields.setdefault("trafficking", ["sex"])
        fields.setdefault("email", "hello@circle.example")
        fields.setdefault("email_visibility", "public")
        org = make_org(name="Douala Circle", status=status, **fields)
        make_user("org_member", email="ama@example.org", organization_id=org.id)
        assert (
            client.post("/login", data={"email": "ama@example.org", "password": PASSWORD}).status_code == 302
        )
        return org, client

    return sign_in


def form_data(org: Organization, section: str = "about", **changes: Any) -> dict[str, Any]:
    """One section of the editor as the browser would send it, unchanged apart from ``changes`` (the
    other sections' fields are sent too: a section's save ignores them)."""
    values = editing.input_to_dict(editing.editable_input(org))
    values["languages"] = ", ".join(values["languages"])
    values = {k: v for k, v in values.items() if v is not None}
    values["edit_version"] = str(editing.section_version(org, section))
    values.update(changes)
    return values


def save(client: FlaskClient, org: Organization, section: str, **changes: Any) -> Any:
    """Save one section of the editor with ``changes``."""
    return client.post(f"/my/organization/edit/{section}", data=form_data(org, section, **changes))


def public(client: FlaskClient, slug: str) -> dict[str, Any] | None:
    """The listing as the public sees it (a fresh client: members see their own contacts)."""
    response = client.application.test_client().get(f"/api/v1/organizations/{slug}")
    return response.json if response.status_code == 200 else None


def test_a_draft_is_edited_in_place_and_submitted(member) -> None:
    org, client = member(status=ListingStatus.DRAFT, summary="", leadership_narrative="")
    refused = client.post("/my/organization/submit", follow_redirects=True).get_data(as_text=True)
    assert "one-sentence summary" in refused and "how survivors lead" in refused
    assert org.status is ListingStatus.DRAFT
    assert save(client, org, "about", summary="Loans for women.").status_code == 302
    assert save(client, org, "leadership", leadership_narrative="Survivors decide.").status_code == 302
    db.session.refresh(org)
    assert org.summary == "Loans for women." and org.leadership_narrative == "Survivors decide."
    assert org.edit_version == 3  # each save moves the listing's version on
    assert client.post("/my/organization/submit").status_code == 302
    db.session.refresh(org)
    assert org.status is ListingStatus.PENDING and org.submitted_at is not None
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"profile.update", "listing.submit"} <= actions


def test_a_listing_is_submitted_only_once_the_email_address_is_confirmed(
    member, outbox: Callable[[], list[str]]
) -> None:
    org, client = member(status=ListingStatus.DRAFT)
    user = db.session.scalar(sa.select(User).where(User.email == "ama@example.org"))
    user.email_confirmed_at = None
    db.session.commit()
    refused = client.post("/my/organization/submit", follow_redirects=True).get_data(as_text=True)
    assert "Confirm your email address first" in refused
    db.session.refresh(org)
    assert org.status is ListingStatus.DRAFT and org.submitted_at is None
    # a new link can be asked for, and following it lets the listing go to review
    client.post("/account/confirmation")
    [message] = [m for m in outbox() if "To: ama@example.org" in m]
    link = re.search(r"http://localhost(/confirm/\S+)", message).group(1)
    client.post(link)  # the button on the page the link opens
    db.session.refresh(user)
    assert user.email_confirmed_at is not None
    assert client.post("/my/organization/submit").status_code == 302
    db.session.refresh(org)
    assert org.status is ListingStatus.PENDING


def test_confirming_a_published_listing_is_still_correct_queues_it_for_re_verification(member) -> None:
    org, client = member()
    # saving the profile unchanged creates nothing to review ...
    save(client, org, "about")
    assert db.session.scalar(sa.select(sa.func.count(ListingRevision.id))) == 0
    # ... so the organization says so instead, and the listing waits in the admins' queue
    assert "Confirm my listing is still correct" in client.get("/my/organization").get_data(as_text=True)
    assert client.post("/my/organization/confirm").status_code == 302
    db.session.refresh(org)
    asked = org.reverify_requested_at
    assert asked is not None and org.assured_date is None
    assert "an admin will verify it again" in client.get("/my/organization").get_data(as_text=True)
    client.post("/my/organization/confirm")  # asking twice keeps its place in the queue, recorded once
    db.session.refresh(org)
    assert org.reverify_requested_at == asked
    from directory.admin.services import queue

    assert [(i.kind, i.id) for i in queue()] == [("reverify", org.id)]
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "listing.confirm_current")
        )
        == 1
    )


def test_only_a_published_listing_can_be_confirmed_as_still_correct(member) -> None:
    org, client = member(status=ListingStatus.DRAFT)
    page = client.post("/my/organization/confirm", follow_redirects=True).get_data(as_text=True)
    assert "Only a published listing can be re-verified." in page
    db.session.refresh(org)
    assert org.reverify_requested_at is None


def test_editing_a_published_listing_waits_for_review(member) -> None:
    org, client = member()
    save(client, org, "about", summary="A brand new summary.")
    assert public(client, org.slug)["summary"] == "Loans and training for women."  # unchanged
    revision = db.session.scalar(sa.select(ListingRevision))
    assert revision.status is RevisionStatus.PENDING and revision.data["summary"] == "A brand new summary."
    page = client.get("/my/organization").get_data(as_text=True)
    assert "Changes waiting for review" in page and "<li>Summary</li>" in page
    # the editor shows the pending version, so the member keeps working on it
    assert "A brand new summary." in client.get("/my/organization/edit/about").get_data(as_text=True)


def test_a_coarser_location_takes_effect_at_once(member) -> None:
    org, client = member(latitude=4.0611, longitude=9.786, location_precision="exact")
    assert public(client, org.slug)["location"]["latitude"] == pytest.approx(4.0611)
    save(client, org, "where", location_precision="country")
    shown = public(client, org.slug)["location"]
    country = get_geo().gazetteer.country_point("CM")
    assert shown["precision"] == "country" and shown["latitude"] == pytest.approx(country.latitude, abs=1e-4)
    assert db.session.scalar(sa.select(ListingRevision)) is None  # nothing waits for review
    near = client.get("/api/v1/organizations", query_string={"near": "4.0611,9.786", "radius_km": 5}).json
    assert near["total"] == 0  # gone from the true spot at once


def test_narrower_contact_visibility_takes_effect_at_once(member) -> None:
    org, client = member()
    assert public(client, org.slug)["email"] == "hello@circle.example"
    save(client, org, "contacts", email_visibility="after_accept")
    assert public(client, org.slug)["email"] is None
    assert db.session.scalar(sa.select(ListingRevision)) is None


def test_showing_more_needs_review(member) -> None:
    org, client = member(location_precision="country", email_visibility="verified_agencies")
    save(client, org, "where", location_precision="city")
    save(client, org, "contacts", email_visibility="public")
    shown = public(client, org.slug)
    assert shown["location"]["precision"] == "country" and shown["email"] is None
    revision = db.session.scalar(sa.select(ListingRevision))
    assert revision.data["location_precision"] == "city" and revision.data["email_visibility"] == "public"


def test_a_mixed_change_splits_into_now_and_review(member) -> None:
    org, client = member()
    save(client, org, "where", location_precision="hidden", city="Yaoundé")
    shown = public(client, org.slug)
    assert shown["location"]["precision"] == "hidden" and shown["location"]["latitude"] is None
    assert "Yaoundé" not in str(shown)  # the new city waits for review
    assert db.session.scalar(sa.select(ListingRevision)).data["city"] == "Yaoundé"


def test_concurrent_edits_never_overwrite_each_other(member) -> None:
    org, client = member(status=ListingStatus.DRAFT)
    first = form_data(org, summary="First member's words.")
    second = form_data(org, summary="Second member's words.")
    assert client.post("/my/organization/edit/about", data=first).status_code == 302
    conflict = client.post("/my/organization/edit/about", data=second)
    page = conflict.get_data(as_text=True)
    assert conflict.status_code == 200
    assert "Someone else saved this profile" in page
    assert "First member&#39;s words." in page and "Second member&#39;s words." in page
    db.session.refresh(org)
    assert org.summary == "First member's words."
    # saving again from the conflict page (which carries the new version) goes through
    again = form_data(org, summary="Second member's words.")
    assert client.post("/my/organization/edit/about", data=again).status_code == 302


def test_unpublishing_is_immediate_and_coming_back_goes_through_review(member) -> None:
    org, client = member()
    assert client.get("/api/v1/organizations", query_string={"q": "douala circle"}).json["total"] == 1
    client.post("/my/organization/unpublish")
    assert client.get("/api/v1/organizations", query_string={"q": "douala circle"}).json["total"] == 0
    assert public(client, org.slug) is None
    client.post("/my/organization/submit")
    db.session.refresh(org)
    assert org.status is ListingStatus.PENDING


def test_bad_input_is_shown_at_the_field_and_nothing_is_saved(member) -> None:
    org, client = member(status=ListingStatus.DRAFT)
    response = client.post(
        "/my/organization/edit/about",
        data=form_data(org, name="", website="not a url", year_incorporated="1066"),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and page.count('aria-invalid="true"') >= 3
    db.session.refresh(org)
    assert org.name == "Douala Circle" and org.edit_version == 1


def test_unknown_languages_are_an_error_at_the_field(member) -> None:
    org, client = member(status=ListingStatus.DRAFT)
    page = client.post(
        "/my/organization/edit/offer", data=form_data(org, "offer", languages="fr, Elvish")
    ).get_data(as_text=True)
    assert "We do not know these languages: “Elvish”." in page
    db.session.refresh(org)
    assert org.edit_version == 1


def test_split_less_showing_rules() -> None:
    before = editing.input_from_dict(
        {
            **editing.input_to_dict(editing.OrganizationInput(name="A", country_code="CM")),
            "email": "a@x.example",
            "email_visibility": "public",
        }
    )
    after = editing.input_from_dict(
        {**editing.input_to_dict(before), "email": None, "location_precision": "exact", "summary": "new"}
    )
    safe, rest = editing.split_less_showing(before, after)
    assert safe == {"email": None}
    assert set(rest) == {"location_precision", "summary"}  # exact shows more than city


def test_the_editor_reads_back_every_field_it_shows(app: Flask) -> None:
    """Each part of the profile read from the form (workspace.views) gives back what was put in it."""
    from directory.organizations.models import LocationPrecision, Visibility
    from directory.organizations.services import OrganizationInput
    from directory.workspace.forms import ProfileForm
    from directory.workspace.views import _fill, _form_to_input

    listing = OrganizationInput(
        name="Women's Circle",
        country_code="CM",
        city="Douala",
        summary="Loans and training.",
        description="A cooperative.",
        leadership_narrative="Survivors run every programme.",
        survivor_attestation="Founded by survivors.",
        year_incorporated=2011,
        website="https://example.org",
        email="hello@example.org",
        email_visibility=Visibility.PUBLIC,
        phone="+237 600 000 000",
        phone_visibility=Visibility.AFTER_ACCEPT,
        latitude=4.05,
        longitude=9.7,
        location_precision=LocationPrecision.EXACT,
        trafficking=["sex", "labor"],
        focus=["micro-finance"],
        models=["survivor-founded"],
        services=["training"],
        engagements=["trainer"],
        languages=["fra", "dua"],
        serves=["CM", "GA"],
        text_language="fr",
        summary_translations={"en": "Loans.", "es": "Préstamos."},
        narrative_translations={"pt": "Sobreviventes."},
    )
    with app.test_request_context():
        form = ProfileForm()
        _fill(form, listing, None)
        assert _form_to_input(form) == listing
