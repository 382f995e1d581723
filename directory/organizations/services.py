"""Services that create and change listings; views, the CLI and the importer all call these.

They validate, change the session and raise domain errors; they never commit (the caller does, once)
and never touch the request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from .. import languages, regions, vocab
from ..db import now_utc
from ..extensions import db
from ..geo import Gazetteer, Point, normalize_name
from ..privacy import public_point
from ..textrules import Kind, problem
from ..validation import FieldErrors
from ..websites import NOT_A_WEBSITE, is_website, normalize_website
from .models import Language as OrgLanguage
from .models import (
    ListingStatus,
    Location,
    LocationPrecision,
    Organization,
    OrganizationText,
    ServiceArea,
    TaxonomyTerm,
    Visibility,
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

#: Taxonomies an organization is tagged with, and the input field that carries each.
TERM_FIELDS = {
    "trafficking": "trafficking",
    "focus": "focus",
    "model": "models",
    "service": "services",
    "engagement": "engagements",
}


class ListingValidationError(ValueError):
    """Input for a listing is invalid; ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


@dataclass
class OrganizationInput:
    """Everything needed to create or replace a listing, before validation."""

    name: str
    country_code: str
    city: str = ""
    summary: str = ""
    description: str = ""
    leadership_narrative: str = ""
    survivor_attestation: str = ""
    year_incorporated: int | None = None
    website: str | None = None
    email: str | None = None
    email_visibility: Visibility = Visibility.VERIFIED_AGENCIES
    phone: str | None = None
    phone_visibility: Visibility = Visibility.VERIFIED_AGENCIES
    latitude: float | None = None
    longitude: float | None = None
    location_precision: LocationPrecision = LocationPrecision.CITY
    trafficking: list[str] = field(default_factory=list)
    focus: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    engagements: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    serves: list[str] = field(default_factory=list)
    # The language the profile is written in (ISO 639), and the summary and leadership narrative in
    # other languages ({language: text}), written by the organization too.
    text_language: str = "en"
    summary_translations: dict[str, str] = field(default_factory=dict)
    narrative_translations: dict[str, str] = field(default_factory=dict)


def slugify(text: str, max_length: int = 120) -> str:
    """A readable URL slug: ``"Women's Circle, Douala"`` -> ``"womens-circle-douala"``."""
    # Apostrophes join ("women's" -> "womens"); every other non-letter separates words.
    slug = normalize_name(re.sub(r"['’]", "", text)).replace(" ", "-")
    return slug[:max_length].strip("-") or "organization"


def validate_input(data: OrganizationInput) -> OrganizationInput:
    """Check and normalize listing input in place; raise ListingValidationError with every problem."""
    errors = FieldErrors()
    _check_text(data, errors)
    _check_identity(data, errors)
    _check_contacts(data, errors)
    _check_point(data, errors)
    _check_lists(data, errors)
    _check_translations(data, errors)
    if errors:
        raise ListingValidationError(dict(errors))
    return data


#: The free-text fields of a listing and the characters each may hold (directory/textrules.py).
TEXT_FIELDS = {
    "name": Kind.NAME,
    "country_code": Kind.SINGLE_LINE,
    "city": Kind.SINGLE_LINE,
    "summary": Kind.MULTI_LINE,
    "description": Kind.MULTI_LINE,
    "leadership_narrative": Kind.MULTI_LINE,
    "survivor_attestation": Kind.MULTI_LINE,
    "website": Kind.SINGLE_LINE,
    "email": Kind.SINGLE_LINE,
    "phone": Kind.SINGLE_LINE,
}


def _check_text(data: OrganizationInput, errors: FieldErrors) -> None:
    """Checked before anything normalizes the text: splitting on whitespace would hide a line break."""
    for name, kind in TEXT_FIELDS.items():
        message = problem(getattr(data, name) or "", kind)
        if message is not None:
            errors.add(name, message)


def _check_identity(data: OrganizationInput, errors: FieldErrors) -> None:
    data.name = " ".join(data.name.split())
    if not data.name:
        errors.add("name", _l("A name is required."))
    elif len(data.name) > 200:
        errors.add("name", _l("The name must be at most 200 characters."))
    data.country_code = data.country_code.strip().upper()
    if not regions.is_country(data.country_code):
        errors.add("country_code", _l("Give the country as an ISO 3166-1 two-letter code, e.g. CM."))
    data.city = " ".join(data.city.split())
    if len(data.summary) > 300:
        errors.add("summary", _l("The summary must be at most 300 characters."))
    if data.year_incorporated is not None and not 1800 <= data.year_incorporated <= 2100:
        errors.add("year_incorporated", _l("Give a year between 1800 and 2100."))


def _check_contacts(data: OrganizationInput, errors: FieldErrors) -> None:
    data.website = normalize_website(data.website or "") or None
    if data.website and not is_website(data.website):
        errors.add("website", NOT_A_WEBSITE)
    if data.email and not _EMAIL.match(data.email):
        errors.add("email", _l("Give a valid email address."))


def _check_point(data: OrganizationInput, errors: FieldErrors) -> None:
    if (data.latitude is None) != (data.longitude is None):
        errors.add("latitude", _l("Give both latitude and longitude, or neither."))
    elif data.latitude is not None and data.longitude is not None:
        if not (-90 <= data.latitude <= 90 and -180 <= data.longitude <= 180):
            errors.add("latitude", _l("Latitude must be within ±90 and longitude within ±180."))


def _check_lists(data: OrganizationInput, errors: FieldErrors) -> None:
    for taxonomy, attr in TERM_FIELDS.items():
        try:
            setattr(data, attr, vocab.check_slugs(taxonomy, getattr(data, attr)))
        except vocab.UnknownSlugError as exc:
            errors.add(attr, exc)
    typed = (code.strip() for code in data.languages if code.strip())
    data.languages = _dedupe(languages.canonical(code) or code for code in typed)
    bad_languages = [code for code in data.languages if not languages.is_language(code)]
    if bad_languages:
        errors.add("languages", _l("Unknown language code(s): %(codes)s.", codes=", ".join(bad_languages)))
    data.serves = _dedupe(code.strip().upper() for code in data.serves if code.strip())
    bad_countries = [code for code in data.serves if not regions.is_country(code)]
    if bad_countries:
        errors.add("serves", _l("Unknown country code(s): %(codes)s.", codes=", ".join(bad_countries)))


#: The translatable fields: input field -> (column, the original's field, its most characters).
TRANSLATION_FIELDS = {
    "summary_translations": ("summary", 300),
    "narrative_translations": ("leadership_narrative", 5000),
}


def _check_translations(data: OrganizationInput, errors: FieldErrors) -> None:
    """The profile's language is a known ISO 639 code; each other version is in another known language and
    within the original's length (errors are keyed ``<field>.<language>``); empty versions are dropped."""
    data.text_language = (data.text_language or "").strip().lower() or "en"
    if not regions.is_language(data.text_language):
        errors.add("text_language", _l("Unknown language code(s): %(codes)s.", codes=data.text_language))
    for name, (_column, limit) in TRANSLATION_FIELDS.items():
        kept: dict[str, str] = {}
        for code, text in (getattr(data, name) or {}).items():
            code, text = str(code).strip().lower(), (text or "").strip()
            if not text:
                continue
            key = f"{name}.{code}"
            if not regions.is_language(code):
                errors.add(key, _l("Unknown language code(s): %(codes)s.", codes=code))
            elif code == data.text_language:
                errors.add(
                    key,
                    _l("Your profile is written in this language: write this in the main field instead."),
                )
            message = problem(text, Kind.MULTI_LINE)
            if message is not None:
                errors.add(key, message)
            if len(text) > limit:
                errors.add(key, _l("Each version must be at most %(limit)d characters.", limit=limit))
            kept[code] = text
        setattr(data, name, dict(sorted(kept.items())))


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def unique_slug(name: str) -> str:
    """A slug for ``name`` that no organization uses yet (see :func:`free_slug`)."""
    return free_slug(slugify(name))


def free_slug(base: str, taken: set[str] | None = None) -> str:
    """``base``, or the first of ``<base>-2``, ``<base>-3`` ... that no organization uses yet.

    With ``taken`` (the slugs in use that matter, as a bulk import asks the database for them), the set
    is consulted and updated instead of the database.
    """

    def in_use(slug: str) -> bool:
        if taken is not None:
            return slug in taken
        return bool(db.session.scalar(sa.select(sa.exists().where(Organization.slug == slug))))

    candidate, n = base, 1
    while in_use(candidate):
        n += 1
        candidate = f"{base}-{n}"
    if taken is not None:
        taken.add(candidate)
    return candidate


def terms_by_code() -> dict[tuple[str, str], TaxonomyTerm]:
    """Every vocabulary term, keyed by (taxonomy, slug)."""
    return {(t.taxonomy, t.code): t for t in db.session.scalars(sa.select(TaxonomyTerm))}


def derive_location(
    country_code: str,
    city: str,
    precision: LocationPrecision,
    true_point: Point | None,
    gazetteer: Gazetteer,
) -> dict[str, Any]:
    """A location's column values: its region from the country, and its public point from the precision.

    When no true point is given the city's gazetteer point stands for it; when the city is unknown too,
    the country's point does.
    """
    derived = regions.region_of(country_code)
    city_point = gazetteer.city_point(city, country_code) if city else None
    country_point = gazetteer.country_point(country_code)
    if true_point is None:
        true_point = city_point or country_point
    shown = public_point(precision, true_point, city_point, country_point)
    return {
        "locality": city,
        "country_code": country_code,
        "region": derived.region,
        "subregion": derived.subregion,
        "location_precision": precision,
        "true_latitude": true_point.latitude if true_point else None,
        "true_longitude": true_point.longitude if true_point else None,
        "public_latitude": shown.latitude if shown else None,
        "public_longitude": shown.longitude if shown else None,
    }


@dataclass
class ListingValues:
    """Validated input turned into column values, for the ORM or for bulk inserts alike."""

    organization: dict[str, Any]
    location: dict[str, Any]
    term_keys: list[tuple[str, str]]
    languages: list[str]
    serves: list[str]
    translations: list[dict[str, str]] = field(default_factory=list)  # organization_text rows


def _translation_rows(data: OrganizationInput) -> list[dict[str, str]]:
    summaries, narratives = data.summary_translations or {}, data.narrative_translations or {}
    return [
        {
            "language": code,
            "summary": summaries.get(code, ""),
            "leadership_narrative": narratives.get(code, ""),
        }
        for code in sorted({*summaries, *narratives})
    ]


def listing_values(data: OrganizationInput, gazetteer: Gazetteer) -> ListingValues:
    """Column values for validated ``data``, with the location derived."""
    given = (
        Point(data.latitude, data.longitude)
        if data.latitude is not None and data.longitude is not None
        else None
    )
    return ListingValues(
        organization={
            "name": data.name,
            "normalized_name": normalize_name(data.name),
            "summary": data.summary.strip(),
            "description": data.description.strip(),
            "leadership_narrative": data.leadership_narrative.strip(),
            "survivor_attestation": data.survivor_attestation.strip(),
            "year_incorporated": data.year_incorporated,
            "website": data.website or None,
            "email": data.email or None,
            "email_visibility": data.email_visibility,
            "phone": data.phone or None,
            "phone_visibility": data.phone_visibility,
            "text_language": data.text_language or "en",
        },
        location=derive_location(data.country_code, data.city, data.location_precision, given, gazetteer),
        term_keys=[(tax, code) for tax, attr in TERM_FIELDS.items() for code in getattr(data, attr)],
        languages=list(data.languages),
        serves=list(data.serves or [data.country_code]),
        translations=_translation_rows(data),
    )


def apply_input(
    org: Organization,
    data: OrganizationInput,
    gazetteer: Gazetteer,
    terms: dict[tuple[str, str], TaxonomyTerm] | None = None,
) -> Organization:
    """Copy validated input onto ``org`` (new or existing), deriving its location."""
    terms = terms if terms is not None else terms_by_code()
    values = listing_values(data, gazetteer)
    for name, value in values.organization.items():
        setattr(org, name, value)
    org.updated_at = now_utc()
    org.terms = [terms[key] for key in values.term_keys]
    # Keep the rows that stay: the unit of work inserts before it deletes, so replacing a row with an
    # equal one would break the (organization, code) unique constraints.
    languages = {lang.code: lang for lang in org.languages}
    org.languages = [languages.get(code) or OrgLanguage(code=code) for code in values.languages]
    texts = {text.language: text for text in org.texts}
    org.texts = [_text_row(texts.get(row["language"]), row) for row in values.translations]
    areas = {area.country_code: area for area in org.service_areas}
    org.service_areas = [areas.get(code) or ServiceArea(country_code=code) for code in values.serves]
    location = org.location or Location()
    for name, value in values.location.items():
        setattr(location, name, value)
    org.location = location
    return org


def _text_row(existing: OrganizationText | None, row: dict[str, str]) -> OrganizationText:
    text = existing or OrganizationText(language=row["language"])
    text.summary, text.leadership_narrative = row["summary"], row["leadership_narrative"]
    return text


def create_organization(
    data: OrganizationInput,
    gazetteer: Gazetteer,
    *,
    status: ListingStatus = ListingStatus.DRAFT,
    is_demo: bool = False,
    terms: dict[tuple[str, str], TaxonomyTerm] | None = None,
) -> Organization:
    """Validate ``data`` and add a new organization to the session."""
    validate_input(data)
    org = Organization(slug=unique_slug(data.name), status=status, is_demo=is_demo)
    apply_input(org, data, gazetteer, terms)
    db.session.add(org)
    return org


def find_same_organization(name: str, country_code: str) -> Organization | None:
    """The organization with the same normalized name in the same country, if any."""
    return db.session.scalar(
        sa.select(Organization)
        .join(Location)
        .where(
            Organization.normalized_name == normalize_name(name),
            Location.country_code == country_code.upper(),
        )
        .limit(1)
    )
