"""What the public may see of a listing (directory/organizations/public.py), called directly: the place
and point at each precision, contact details for each kind of viewer, the JSON of a card and of a
profile, which listings are public at all, and the audit of restricted contacts shown to an agency."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from directory.agencies.models import Agency, AgencyStatus, AgencyType
from directory.audit.models import AuditEntry
from directory.extensions import db
from directory.organizations.models import ListingStatus, LocationPrecision, Organization, Visibility
from directory.organizations.public import (
    place_label,
    profile_for,
    profile_json,
    public_coordinates,
    public_locality,
    public_location,
    public_organization,
    public_organization_with_uuid,
    sitemap_listings,
    summary_json,
    visible_contacts,
)
from directory.partnerships.models import RequestState
from directory.partnerships.services import RequestDraft, send_requests

P = LocationPrecision


@pytest.mark.parametrize(
    ("precision", "locality", "label"),
    [
        (P.EXACT, "Douala", "Douala, Cameroon"),
        (P.CITY, "Douala", "Douala, Cameroon"),
        (P.COUNTRY, "Douala", "Cameroon"),
        (P.HIDDEN, "Douala", "Cameroon"),
        (P.CITY, "", "Cameroon"),
    ],
)
def test_the_city_is_named_only_at_exact_or_city_precision(precision: P, locality: str, label: str) -> None:
    assert place_label(precision, locality, "CM") == label
    assert public_locality(precision, locality) == (locality if label.startswith("Douala") else None)


def test_the_public_point_is_rounded_and_never_shown_for_a_hidden_listing() -> None:
    assert public_coordinates(P.EXACT, 4.0611149, 9.7867251) == (4.06111, 9.78673)
    assert public_coordinates(P.COUNTRY, 5.4, 11.2) == (5.4, 11.2)
    assert public_coordinates(P.HIDDEN, 5.4, 11.2) is None
    assert public_coordinates(P.CITY, None, 11.2) is None
    assert public_coordinates(P.CITY, 5.4, None) is None


@pytest.fixture
def viewers(make_org: Callable[..., Organization], make_user: Callable[..., Any]) -> dict[str, Any]:
    """A listing with restricted contacts, and everyone who might look at it."""
    org = make_org(
        name="Restricted",
        email="office@example.org",
        email_visibility="verified_agencies",
        phone="+237 600 000 001",
        phone_visibility="after_accept",
    )
    other = make_org(name="Other")
    pending = Agency(name="Pending", agency_type=AgencyType.BUSINESS, country_code="KE")
    verified = Agency(
        name="Verified", agency_type=AgencyType.GOVERNMENT, country_code="KE", status=AgencyStatus.VERIFIED
    )
    accepted = Agency(
        name="Accepted", agency_type=AgencyType.GOVERNMENT, country_code="KE", status=AgencyStatus.VERIFIED
    )
    db.session.add_all([pending, verified, accepted])
    db.session.commit()
    people = {
        "org": org,
        "public": None,
        "member": make_user("org_member", organization_id=org.id),
        "other_member": make_user("org_member", organization_id=other.id),
        "admin": make_user("admin"),
        "pending": make_user("agency_member", agency_id=pending.id),
        "verified": make_user("agency_member", agency_id=verified.id),
        "suspended": make_user("agency_member", agency_id=verified.id, is_suspended=True),
        "accepted": make_user("agency_member", agency_id=accepted.id),
    }
    draft = RequestDraft(
        title="T", summary="S", stages=["design"], maturity="idea", engagement="trainer", paid=False,
        respond_by=date(2030, 1, 1),
    )  # fmt: skip
    [request] = send_requests(people["accepted"], [org], draft, "public-view", date(2029, 1, 1))
    request.state = RequestState.ACCEPTED
    # A request that is only sent gives the verified agency nothing more.
    send_requests(people["verified"], [org], draft, "public-view-2", date(2029, 1, 1))
    db.session.commit()
    return people


@pytest.mark.parametrize(
    ("viewer", "email", "phone"),
    [
        ("public", False, False),
        ("other_member", False, False),
        ("pending", False, False),
        ("suspended", False, False),
        ("verified", True, False),
        ("accepted", True, True),
        ("member", True, True),
        ("admin", True, True),
    ],
)
def test_contacts_follow_their_visibility_for_each_viewer(
    viewers: dict[str, Any], viewer: str, email: bool, phone: bool
) -> None:
    org = viewers["org"]
    contacts = visible_contacts(org, viewers[viewer])
    assert contacts.email == (org.email if email else None)
    assert contacts.phone == (org.phone if phone else None)
    assert contacts.restricted_shown is (email or phone)
    assert contacts.as_dict() == {"email": contacts.email, "phone": contacts.phone}


def test_an_anonymous_visitor_sees_only_public_contacts(viewers: dict[str, Any]) -> None:
    from flask_login import AnonymousUserMixin

    contacts = visible_contacts(viewers["org"], AnonymousUserMixin())
    assert (contacts.email, contacts.phone, contacts.restricted_shown) == (None, None, False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        contacts.email = "x@example.org"  # type: ignore[misc]


def test_a_viewer_that_does_not_say_it_is_signed_in_sees_only_public_contacts(
    viewers: dict[str, Any],
) -> None:
    """Fail closed: a viewer without ``is_authenticated`` is the public, whatever else it claims."""
    org = viewers["org"]
    stranger = SimpleNamespace(
        is_admin=True,
        organization_id=org.id,
        agency=viewers["verified"].agency,
        agency_id=None,
        is_active=True,
    )
    contacts = visible_contacts(org, stranger)
    assert (contacts.email, contacts.phone, contacts.restricted_shown) == (None, None, False)


def test_public_contacts_are_for_everyone_and_not_restricted(viewers: dict[str, Any]) -> None:
    org = viewers["org"]
    org.email_visibility = org.phone_visibility = Visibility.PUBLIC
    contacts = visible_contacts(org)
    assert (contacts.email, contacts.phone, contacts.restricted_shown) == (org.email, org.phone, False)
    org.email = ""
    assert visible_contacts(org, viewers["admin"]).email is None
    org.phone_visibility = Visibility.VERIFIED_AGENCIES
    assert visible_contacts(org, viewers["verified"]).restricted_shown is True


def test_restricted_contacts_shown_to_an_agency_are_audited(viewers: dict[str, Any]) -> None:
    org = viewers["org"]

    def audited() -> list[AuditEntry]:
        return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "contact.view")))

    found = profile_for(org.slug, viewers["verified"])
    assert found is not None and found[0] is org and found[1].email == org.email
    [entry] = audited()
    assert (entry.actor_id, entry.target_type, entry.target_id) == (
        viewers["verified"].id,
        "organization",
        org.id,
    )
    assert entry.after == {"agency_id": viewers["verified"].agency_id}
    for viewer in ("public", "member", "admin", "pending"):  # nothing restricted shown to an agency
        profile_for(org.slug, viewers[viewer])
    assert len(audited()) == 1
    assert profile_for("no-such-listing", viewers["verified"]) is None


def test_only_approved_listings_are_public(make_org: Callable[..., Organization]) -> None:
    org = make_org(name="Approved")
    pending = make_org(name="Pending", status=ListingStatus.PENDING)
    assert public_organization(org.slug) is org
    assert public_organization(pending.slug) is None
    assert profile_for(pending.slug, None) is None
    assert public_organization_with_uuid(org.uuid.upper()) is org
    assert public_organization_with_uuid(pending.uuid) is None


def test_the_sitemap_lists_published_real_listings_newest_change_first(
    make_org: Callable[..., Organization],
) -> None:
    older, newer = make_org(name="Older"), make_org(name="Newer")
    make_org(name="Demo", is_demo=True)
    make_org(name="Pending", status=ListingStatus.PENDING)
    older.updated_at = datetime(2026, 1, 1, tzinfo=UTC)
    newer.updated_at = older.updated_at + timedelta(days=1)
    db.session.commit()
    assert [slug for slug, _ in sitemap_listings()] == [newer.slug, older.slug]
    assert sitemap_listings()[0][1] == newer.updated_at


def test_a_sitemap_holds_at_most_the_protocols_limit(
    make_org: Callable[..., Organization], monkeypatch: pytest.MonkeyPatch
) -> None:
    from directory.organizations import public

    assert public.SITEMAP_LIMIT == 50_000  # sitemaps.org: at most 50,000 addresses in one sitemap
    make_org(name="One")
    make_org(name="Two")
    monkeypatch.setattr(public, "SITEMAP_LIMIT", 1)
    assert len(sitemap_listings()) == 1


def _listing(make_org: Callable[..., Organization], **fields: Any) -> Organization:
    return make_org(
        name="Card",
        summary="Peer support.",
        description="Long description.",
        leadership_narrative="Founded by survivors.",
        location_precision="city",
        focus=["housing"],
        models=["survivor-founded"],
        trafficking=["labor"],
        services=["training"],
        engagements=["trainer"],
        languages=["fr"],
        serves=["CM"],
        year_incorporated=2015,
        website="https://card.example.org",
        **fields,
    )


def expected_location(org: Organization) -> dict[str, Any]:
    loc = org.location
    return {
        "locality": "Douala",
        "country": "CM",
        "country_name": "Cameroon",
        "region": loc.region,
        "subregion": loc.subregion,
        "precision": "city",
        "latitude": round(loc.public_latitude, 5),
        "longitude": round(loc.public_longitude, 5),
    }


def test_a_result_card(make_org: Callable[..., Organization]) -> None:
    org = _listing(make_org)
    card = {
        "id": org.uuid,
        "slug": org.slug,
        "name": "Card",
        "text_language": org.text_language,
        "summary": "Peer support.",
        "summary_language": org.text_language,
        "location": expected_location(org),
        "focus": ["housing"],
        "models": ["survivor-founded"],
        "trafficking": ["labor"],
        "is_demo": False,
    }
    assert summary_json(org) == card
    assert summary_json(org, distance_km=12.34) == {**card, "distance_km": 12.3}
    assert summary_json(org, distance_km=0.0)["distance_km"] == 0.0


def test_a_whole_profile(make_org: Callable[..., Organization]) -> None:
    org = _listing(make_org)
    org.assured_date = datetime(2026, 11, 2, 15, 30, tzinfo=UTC)
    contacts = visible_contacts(org)
    assert profile_json(org, contacts) == {
        "id": org.uuid,
        "slug": org.slug,
        "name": "Card",
        "text_language": org.text_language,
        "summary": "Peer support.",
        "summary_language": org.text_language,
        "description": "Long description.",
        "leadership_narrative": "Founded by survivors.",
        "leadership_narrative_language": org.text_language,
        "translations": [
            {"language": t.language, "summary": t.summary, "leadership_narrative": t.leadership_narrative}
            for t in org.texts
        ],
        "survivor_attestation": org.survivor_attestation,
        "leadership_models": ["survivor-founded"],
        "focus_areas": ["housing"],
        "trafficking_types": ["labor"],
        "services": ["training"],
        "engagement_types": ["trainer"],
        "languages": ["fr"],
        "service_areas": ["CM"],
        "year_incorporated": 2015,
        "website": "https://card.example.org",
        "email": None,
        "phone": None,
        "verified_on": "2026-11-02",
        "location": expected_location(org),
        "is_demo": False,
        "updated_at": org.updated_at.isoformat(),
    }
    org.assured_date = None
    assert profile_json(org, contacts)["verified_on"] is None


def test_a_profile_holds_every_other_version_the_organization_wrote(
    make_org: Callable[..., Organization],
) -> None:
    org = _listing(
        make_org,
        summary_translations={"fr": "Soutien par les pairs."},
        narrative_translations={"fr": "Fondée par des survivantes."},
    )
    french = {
        "language": "fr",
        "summary": "Soutien par les pairs.",
        "leadership_narrative": "Fondée par des survivantes.",
    }
    profile = profile_json(org, visible_contacts(org))
    assert (profile["summary"], profile["summary_language"]) == ("Peer support.", "en")
    assert profile["translations"] == [french]
    in_french = profile_json(org, visible_contacts(org), language="fr")
    assert (in_french["summary"], in_french["summary_language"]) == ("Soutien par les pairs.", "fr")
    assert (in_french["leadership_narrative"], in_french["leadership_narrative_language"]) == (
        "Fondée par des survivantes.",
        "fr",
    )
    assert in_french["translations"] == [french]


def test_a_listing_without_a_location_shows_none(make_org: Callable[..., Organization]) -> None:
    org = make_org(name="Nowhere")
    db.session.delete(org.location)
    db.session.flush()
    db.session.refresh(org)
    assert public_location(org) == {}
    hidden = make_org(name="Hidden", location_precision="hidden")
    shown = public_location(hidden)
    assert (shown["locality"], shown["latitude"], shown["longitude"]) == (None, None, None)
    assert shown["precision"] == "hidden"
