"""What the public may see of a listing: one place that decides, used by pages and the JSON API.

The true point is never here. The city is shown only when the organization chose ``exact`` or ``city``
precision (a coarser choice must not be undone by naming the city); contact details only when their
visibility is ``public`` (the account-based levels arrive with accounts).
"""

from __future__ import annotations

from typing import Any

from .. import regions
from .models import LocationPrecision, Organization, Visibility

_CITY_VISIBLE = (LocationPrecision.EXACT, LocationPrecision.CITY)


def public_location(org: Organization) -> dict[str, Any]:
    """The location as the public may see it (HSDS-style field names)."""
    loc = org.location
    if loc is None:
        return {}
    shows_city = loc.location_precision in _CITY_VISIBLE
    has_point = loc.public_latitude is not None
    return {
        "locality": loc.locality if shows_city and loc.locality else None,
        "country": loc.country_code,
        "country_name": regions.country_name(loc.country_code),
        "region": loc.region,
        "subregion": loc.subregion,
        "precision": loc.location_precision.value,
        "latitude": round(loc.public_latitude, 5) if has_point else None,
        "longitude": round(loc.public_longitude, 5) if has_point else None,
    }


def public_contacts(org: Organization) -> dict[str, str | None]:
    """Contact details whose visibility is public; the rest are withheld."""
    return {
        "email": org.email if org.email_visibility is Visibility.PUBLIC else None,
        "phone": org.phone if org.phone_visibility is Visibility.PUBLIC else None,
    }


def summary_json(org: Organization, distance_km: float | None = None) -> dict[str, Any]:
    """A search result card as JSON."""
    out: dict[str, Any] = {
        "slug": org.slug,
        "name": org.name,
        "summary": org.summary,
        "location": public_location(org),
        "focus": org.term_codes("focus"),
        "models": org.term_codes("model"),
        "trafficking": org.term_codes("trafficking"),
        "is_demo": org.is_demo,
    }
    if distance_km is not None:
        out["distance_km"] = round(distance_km, 1)
    return out


def profile_json(org: Organization) -> dict[str, Any]:
    """A whole public profile as JSON (HSDS organization field names where HSDS has them)."""
    return {
        "id": org.slug,
        "slug": org.slug,
        "name": org.name,
        "summary": org.summary,
        "description": org.description,
        "leadership_narrative": org.leadership_narrative,
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
        **public_contacts(org),
        "location": public_location(org),
        "is_demo": org.is_demo,
        "updated_at": org.updated_at.isoformat(),
    }
