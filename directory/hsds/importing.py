"""Listings in from another HSDS 3.0 directory (``flask import-hsds FILE``).

The file is an HSDS JSON export: a list of organizations with their services, locations, service areas,
languages, contacts, phones and taxonomy terms nested (what ``flask export-hsds`` writes), or one page of an
HSDS API (``{"contents": [...]}``). Each organization becomes a pending listing (published with
``--approve``), read back through the same mapping that wrote it (:mod:`directory.hsds.mapping`):

- ``id`` is kept as the listing's UUID, so ids survive a round trip;
- terms of our taxonomies (by id, or by taxonomy and code) become the listing's terms; terms we do not
  know, offerings we do not have and countries we cannot place are kept as text in the import's audit
  entry for the listing (written in the operator's language), which the admin sees in its history;
- the location gives the country, the town and the precision the public had: a point other than the
  town's gazetteer point is ``exact``, the town's point or a town alone ``city``, a country alone
  ``country``. An organization published with no location (a hidden one) stays hidden; its country is
  then the first country it serves, and the audit entry says so;
- the email and phone were public there, so they are public here; ``last_modified`` is kept;
  ``assured_date`` is not: a listing is "not yet verified" here until an admin verifies it.

The same duplicate rule as the CSV import (the same normalized name in the same country, or the same
UUID) skips a record already in the directory. A bad record is reported by its position and skipped;
each record is written in a savepoint of its own, so none is ever half-written.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import vocab
from ..audit.services import OPERATOR, record
from ..extensions import db
from ..geo import Gazetteer, normalize_name
from ..organizations.importing import ImportFileError, ImportReport, summary_from
from ..organizations.models import ListingStatus, Location, LocationPrecision, Organization, Visibility
from ..organizations.services import (
    ListingValidationError,
    OrganizationInput,
    create_organization,
    terms_by_code,
    validate_input,
)
from . import mapping

#: A point this close (in degrees) to the town's gazetteer point is that point.
SAME_POINT = 1e-6


class RecordError(ValueError):
    """One organization of the file cannot be imported; the message says why."""


@dataclass
class Incoming:
    """One HSDS organization, read: the listing to create and what else the import knows of it."""

    data: OrganizationInput
    uuid: str | None = None
    accepting_requests: bool = True
    last_modified: datetime | None = None
    notes: list[str] = field(default_factory=list)


def read_document(text: str) -> list[Any]:
    """The organizations of an HSDS JSON document: a list, a ``Page`` (its ``contents``) or one object."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ImportFileError(f"not JSON: {exc}") from None
    if isinstance(document, dict) and isinstance(document.get("contents"), list):
        return document["contents"]
    if isinstance(document, dict) and "name" in document:
        return [document]
    if isinstance(document, list):
        return document
    raise ImportFileError("expected a list of HSDS organizations, or an HSDS page of them")


@functools.cache
def _generic_descriptions() -> frozenset[str]:
    """The sentence the mapping sends for a listing with no description, in every language."""
    from flask import current_app

    found = set()
    for language in current_app.config["LANGUAGES"]:
        with force_locale(language):
            found.add(_("A survivor-led organization listed in this directory."))
    return frozenset(found)


def _term(attribute: Any) -> tuple[str, str] | str | None:
    """An attribute's term: (taxonomy, slug) when it is ours, else its words, else None."""
    if not isinstance(attribute, dict):
        return None
    term = attribute.get("taxonomy_term") if isinstance(attribute.get("taxonomy_term"), dict) else {}
    term_id = str(attribute.get("taxonomy_term_id") or term.get("id") or "").lower()
    if term_id in mapping.terms_by_id():
        return mapping.terms_by_id()[term_id]
    taxonomy = mapping.taxonomies_by_id().get(str(term.get("taxonomy_id") or "").lower())
    code = str(term.get("code") or "")
    if taxonomy and code in vocab.TAXONOMIES[taxonomy]:
        return taxonomy, code
    words = " / ".join(str(term.get(k)) for k in ("taxonomy", "name", "code") if term.get(k))
    return words or (str(attribute.get("value")) if attribute.get("value") else None)


def _list(obj: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(f"{key} is not a list")
    return [item for item in value if isinstance(item, dict)]


def _text(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise RecordError(f"{key} is not text")
    return str(value).strip()


def _uuid(value: Any) -> str | None:
    if value in (None, ""):
        return None
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise RecordError(f"id {value!r} is not a UUID") from None


def _place(org: dict[str, Any], serves: list[str], gazetteer: Gazetteer, incoming: Incoming) -> None:
    """The listing's country, town, point and precision, from its location (the one the public saw)."""
    data = incoming.data
    locations = _list(org, "locations")
    if not locations:
        if not serves:
            raise RecordError("no location and no country served: the listing's country is unknown")
        data.country_code, data.location_precision = serves[0], LocationPrecision.HIDDEN
        incoming.notes.append(
            _(
                "Published without a location: kept hidden, in the first country it serves (%(country)s).",
                country=serves[0],
            )
        )
        return
    place = locations[0]
    addresses = _list(place, "addresses")
    country = _text(place, "country") or (_text(addresses[0], "country") if addresses else "")
    code = country.upper() if len(country) == 2 else gazetteer.country_code_for(country) if country else None
    if not code:
        raise RecordError(f"the location's country {country!r} is not known" if country else "no country")
    data.country_code = code
    data.city = _text(place, "locality") or (_text(addresses[0], "city") if addresses else "")
    latitude, longitude = place.get("latitude"), place.get("longitude")
    if latitude is None or longitude is None:
        data.location_precision = LocationPrecision.CITY if data.city else LocationPrecision.COUNTRY
        return
    try:
        data.latitude, data.longitude = float(latitude), float(longitude)
    except (TypeError, ValueError):
        raise RecordError("the location's latitude or longitude is not a number") from None
    town = gazetteer.city_point(data.city, code) if data.city else None
    at_town = town is not None and (
        abs(town.latitude - data.latitude) < SAME_POINT and abs(town.longitude - data.longitude) < SAME_POINT
    )
    data.location_precision = LocationPrecision.CITY if at_town else LocationPrecision.EXACT


def _last_modified(services: list[dict[str, Any]]) -> datetime | None:
    for service in services:
        value = service.get("last_modified")
        if isinstance(value, str) and value:
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise RecordError(f"last_modified {value!r} is not a date and time") from None
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def _contacts(org: dict[str, Any], data: OrganizationInput) -> None:
    """The email and phone, public here since they were public there."""
    contacts = _list(org, "contacts")
    data.email = (
        _text(org, "email") or next((_text(c, "email") for c in contacts if c.get("email")), "") or None
    )
    phones = _list(org, "phones")
    data.phone = next((_text(p, "number") for p in phones if p.get("number")), "") or None
    data.email_visibility = data.phone_visibility = Visibility.PUBLIC


def _vocabulary(
    org: dict[str, Any], services: list[dict[str, Any]], gazetteer: Gazetteer, data: OrganizationInput
) -> list[str]:
    """The listing's terms, offerings, countries served and languages; returns what is not ours, as text."""
    terms: dict[str, list[str]] = {name: [] for name in vocab.TAXONOMIES}
    unknown: list[str] = []
    serves: list[str] = []
    languages: list[str] = []
    for attribute in _list(org, "attributes") + [a for s in services for a in _list(s, "attributes")]:
        term = _term(attribute)
        if isinstance(term, tuple):
            terms[term[0]].append(term[1])
        elif term:
            unknown.append(term)
    for service in services:
        if not any(
            isinstance(t, tuple) and t[0] == "service" for t in map(_term, _list(service, "attributes"))
        ):
            unknown.append(_("Offering: %(name)s", name=_text(service, "name")))
        for area in _list(service, "service_areas"):
            area_country = _text(area, "country") or gazetteer.country_code_for(_text(area, "name")) or ""
            if area_country:
                serves.append(area_country.upper())
            else:
                unknown.append(_("Area served: %(name)s", name=_text(area, "name")))
        languages += [_text(lang, "code") for lang in _list(service, "languages") if lang.get("code")]
    for place in _list(org, "locations")[:1]:
        languages += [_text(lang, "code") for lang in _list(place, "languages") if lang.get("code")]
    data.focus, data.models = _unique(terms["focus"]), _unique(terms["model"])
    data.trafficking, data.engagements = _unique(terms["trafficking"]), _unique(terms["engagement"])
    data.services, data.serves, data.languages = (
        _unique(terms["service"]),
        _unique(serves),
        _unique(languages),
    )
    return unknown


def to_input(org: Any, gazetteer: Gazetteer) -> Incoming:
    """One HSDS organization as the listing to create; RecordError says why it cannot be."""
    if not isinstance(org, dict):
        raise RecordError("not an HSDS organization (an object with a name)")
    description = _text(org, "description")
    if description in _generic_descriptions():
        description = ""
    data = OrganizationInput(
        name=_text(org, "name"),
        country_code="",
        description=description,
        summary=summary_from(description),
        website=_text(org, "website") or None,
    )
    incoming = Incoming(data=data, uuid=_uuid(org.get("id")))
    year = org.get("year_incorporated")
    if year is not None:
        if not isinstance(year, int | float) or isinstance(year, bool) or year != int(year):
            raise RecordError(f"year_incorporated {year!r} is not a year")
        data.year_incorporated = int(year)
    _contacts(org, data)
    services = _list(org, "services")
    unknown = _vocabulary(org, services, gazetteer, data)
    incoming.accepting_requests = not services or any(s.get("status") == "active" for s in services)
    incoming.last_modified = _last_modified(services)
    _place(org, data.serves, gazetteer, incoming)
    if unknown:
        incoming.notes.append(_("Not in our vocabulary: %(terms)s", terms="; ".join(_unique(unknown))))
    return incoming


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def import_organizations(records: list[Any], gazetteer: Gazetteer, *, approve: bool = False) -> ImportReport:
    """Import HSDS organizations (pending, or published with ``approve``); commits once at the end."""
    report = ImportReport()
    status = ListingStatus.APPROVED if approve else ListingStatus.PENDING
    existing = set(
        db.session.execute(sa.select(Organization.normalized_name, Location.country_code).join(Location))
    )
    taken = set(db.session.scalars(sa.select(Organization.uuid)))
    terms = terms_by_code()
    for position, org in enumerate(records, start=1):
        try:
            incoming = to_input(org, gazetteer)
            validate_input(incoming.data)
        except (RecordError, ListingValidationError) as exc:
            report.errors.append((position, str(exc)))
            continue
        key = (normalize_name(incoming.data.name), incoming.data.country_code)
        if key in existing or incoming.uuid in taken:
            report.skipped_existing += 1
            continue
        with db.session.begin_nested():
            listing = create_organization(incoming.data, gazetteer, status=status, terms=terms)
            if incoming.uuid:
                listing.uuid = incoming.uuid
            listing.accepting_requests = incoming.accepting_requests
            if incoming.last_modified:
                listing.updated_at = incoming.last_modified
            db.session.flush()
            record(
                OPERATOR,
                "listing.import",
                "organization",
                listing.id,
                after={"format": "hsds", "uuid": listing.uuid, "approve": approve},
                note=" ".join(incoming.notes),
            )
        existing.add(key)
        taken.add(listing.uuid)
        report.created += 1
    db.session.commit()
    return report
