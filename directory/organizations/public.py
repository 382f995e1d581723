"""What the public may see of a listing: one place that decides, used by pages and the JSON API.

The true point is never here. The city is shown only when the organization chose ``exact`` or ``city``
precision (a coarser choice must not be undone by naming the city). Contact details follow their
visibility: ``public`` for everyone; ``verified_agencies`` for members of a verified agency; ``after_accept``
for nobody outside the organization until it accepts a partnership request. Admins and the organization's
own members see them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from .. import regions
from ..audit.services import record
from ..extensions import db
from .cards import Card
from .models import ListingStatus, LocationPrecision, Organization, Visibility

_CITY_VISIBLE = (LocationPrecision.EXACT, LocationPrecision.CITY)


def public_locality(precision: LocationPrecision, locality: str) -> str | None:
    """The city as the public may see it: only with ``exact`` or ``city`` precision."""
    return locality if precision in _CITY_VISIBLE and locality else None


def place_label(precision: LocationPrecision, locality: str, country_code: str) -> str:
    """Where the public may read that a listing is: "Douala, Cameroon", or only "Cameroon"."""
    city = public_locality(precision, locality)
    country = regions.country_name(country_code)
    return f"{city}, {country}" if city else country


def public_coordinates(
    precision: LocationPrecision, latitude: float | None, longitude: float | None
) -> tuple[float, float] | None:
    """The public point as published (5 decimals, about a metre); None when there is none to show.

    ``latitude`` and ``longitude`` are the stored public point, which :func:`directory.privacy.public_point`
    derived; a hidden listing has none, and never shows one even if a row said otherwise.
    """
    if precision is LocationPrecision.HIDDEN or latitude is None or longitude is None:
        return None
    return round(latitude, 5), round(longitude, 5)


def public_location(org: Organization | Card) -> dict[str, Any]:
    """The location as the public may see it (HSDS-style field names), of a profile or a result card."""
    loc = org.location
    if loc is None:
        return {}
    point = public_coordinates(loc.location_precision, loc.public_latitude, loc.public_longitude)
    return {
        "locality": public_locality(loc.location_precision, loc.locality),
        "country": loc.country_code,
        "country_name": regions.country_name(loc.country_code),
        "region": loc.region,
        "subregion": loc.subregion,
        "precision": loc.location_precision.value,
        "latitude": point[0] if point else None,
        "longitude": point[1] if point else None,
    }


@dataclass(frozen=True)
class Contacts:
    """The contact details a viewer may see, and whether any of them is not public."""

    email: str | None
    phone: str | None
    restricted_shown: bool

    def as_dict(self) -> dict[str, str | None]:
        return {"email": self.email, "phone": self.phone}


def _may_see(visibility: Visibility, org: Organization, viewer: Any | None) -> bool:
    if visibility is Visibility.PUBLIC:
        return True
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    if viewer.is_admin or viewer.organization_id == org.id:
        return True
    agency = viewer.agency
    if agency is None or not agency.is_verified or not viewer.is_active:
        return False
    if visibility is Visibility.VERIFIED_AGENCIES:
        return True
    return _has_accepted(org, agency.id)  # after_accept: once the organization accepts a request


def _has_accepted(org: Organization, agency_id: int) -> bool:
    from ..partnerships.models import ACCEPTED_STATES, PartnershipRequest

    return bool(
        db.session.scalar(
            sa.select(
                sa.exists().where(
                    PartnershipRequest.organization_id == org.id,
                    PartnershipRequest.agency_id == agency_id,
                    PartnershipRequest.state.in_(ACCEPTED_STATES),
                )
            )
        )
    )


def visible_contacts(org: Organization, viewer: Any | None = None) -> Contacts:
    """The contact details ``viewer`` (a user, or None for the public) may see."""
    email = org.email if org.email and _may_see(org.email_visibility, org, viewer) else None
    phone = org.phone if org.phone and _may_see(org.phone_visibility, org, viewer) else None
    restricted = (email is not None and org.email_visibility is not Visibility.PUBLIC) or (
        phone is not None and org.phone_visibility is not Visibility.PUBLIC
    )
    return Contacts(email, phone, restricted)


def summary_json(
    org: Organization | Card, distance_km: float | None = None, language: str | None = None
) -> dict[str, Any]:
    """A search result card as JSON; the summary in the reader's ``language`` when the organization wrote
    one, else as written (``summary_language`` says which)."""
    summary, summary_language = org.text_in("summary", language)
    out: dict[str, Any] = {
        "id": org.uuid,
        "slug": org.slug,
        "name": org.name,
        "text_language": org.text_language,
        "summary": summary,
        "summary_language": summary_language,
        "location": public_location(org),
        "focus": org.term_codes("focus"),
        "models": org.term_codes("model"),
        "trafficking": org.term_codes("trafficking"),
        "is_demo": org.is_demo,
    }
    if distance_km is not None:
        out["distance_km"] = round(distance_km, 1)
    return out


def profile_json(org: Organization, contacts: Contacts, language: str | None = None) -> dict[str, Any]:
    """A whole public profile as JSON (HSDS organization field names where HSDS has them; ``id`` is the
    stable UUID that is also the HSDS organization id, ``slug`` the profile's address).

    ``text_language`` is the language the organization writes in; the summary and leadership narrative
    are in the reader's ``language`` when the organization wrote them in it (``*_language`` says which),
    and ``translations`` holds every other version it wrote.
    """
    summary, summary_language = org.text_in("summary", language)
    narrative, narrative_language = org.text_in("leadership_narrative", language)
    return {
        "id": org.uuid,
        "slug": org.slug,
        "name": org.name,
        "text_language": org.text_language,
        "summary": summary,
        "summary_language": summary_language,
        "description": org.description,
        "leadership_narrative": narrative,
        "leadership_narrative_language": narrative_language,
        "translations": [
            {"language": t.language, "summary": t.summary, "leadership_narrative": t.leadership_narrative}
            for t in org.texts
        ],
        "survivor_attestation": org.survivor_attestation,
        "leadership_models": org.term_codes("model"),
        "focus_areas": org.term_codes("focus"),
        "trafficking_types": org.term_codes("trafficking"),
        "services": org.term_codes("service"),
        "engagement_types": org.term_codes("engagement"),
        "languages": [lang.code for lang in org.languages],
        "service_areas": [area.country_code for area in org.service_areas],
        "year_incorporated": org.year_incorporated,
        "website": org.website,
        **contacts.as_dict(),
        "verified_on": org.assured_date.date().isoformat() if org.assured_date else None,
        "location": public_location(org),
        "is_demo": org.is_demo,
        "updated_at": org.updated_at.isoformat(),
    }


def public_organization(slug: str) -> Organization | None:
    """The published listing with this slug; None for unknown or unpublished ones."""
    return db.session.scalar(
        sa.select(Organization).where(
            Organization.slug == slug, Organization.status == ListingStatus.APPROVED
        )
    )


def public_organization_with_uuid(org_uuid: str) -> Organization | None:
    """The published listing with this stable id (``Organization.uuid``); None for unknown or unpublished
    ones."""
    return db.session.scalar(
        sa.select(Organization).where(
            Organization.uuid == org_uuid.lower(), Organization.status == ListingStatus.APPROVED
        )
    )


def profile_for(slug: str, viewer: Any | None) -> tuple[Organization, Contacts] | None:
    """A public listing and the contacts ``viewer`` may see; None when no such public listing.

    Each time contact details that are not public are shown to an agency, that is audited (the caller
    commits).
    """
    org = public_organization(slug)
    if org is None:
        return None
    contacts = visible_contacts(org, viewer)
    if contacts.restricted_shown and getattr(viewer, "agency_id", None) is not None:
        record(viewer, "contact.view", "organization", org.id, after={"agency_id": viewer.agency_id})
    return org, contacts


#: At most this many addresses in one sitemap (the sitemap protocol's limit).
SITEMAP_LIMIT = 50_000


def sitemap_listings() -> list[tuple[str, datetime]]:
    """(slug, last change) of the listings a search engine may be pointed at: the published ones, as
    :func:`public_organization` defines them, without the fictional demo listings; newest changes first."""
    return [
        (slug, updated)
        for slug, updated in db.session.execute(
            sa.select(Organization.slug, Organization.updated_at)
            .where(Organization.status == ListingStatus.APPROVED, Organization.is_demo.is_(False))
            .order_by(Organization.updated_at.desc(), Organization.id)
            .limit(SITEMAP_LIMIT)
        )
    ]
