"""Public listings as HSDS 3.0 objects: the one mapping the API, exports and imports share.

Everything here is pure: it reads an :class:`~directory.organizations.models.Organization` (already known
to be public) through :mod:`directory.organizations.public`, which decides what the public may see, and
never reads a private field (the true point, contacts that are not public). Nothing reads the request:
names and labels follow the active locale, and the public profile's address comes from the caller.

The mapping (README, "Data in and out"):

- organization: ``id`` is the stored UUID; ``description`` is the description, else the summary, else a
  plain sentence (never an empty string); ``email`` and a ``contact`` only when the email is public; a
  ``phone`` only when the phone is public; ``attributes`` link it to its leadership models, focus areas,
  trafficking types and engagement types (``taxonomy_term``s of our published taxonomies).
- service: one per offering to partners (consulting, training, ...), named by the offering; ``status`` is
  ``active``, or ``temporarily closed`` while the organization is not taking requests; ``assured_date`` is
  the day an admin last verified the listing, ``last_modified`` when what the public sees last changed;
  ``service_areas`` are the countries served, ``languages`` the organization's languages (ISO 639 codes);
  its attributes are its offering's term and the organization's terms.
- location: at the public precision only. None for a hidden listing; with ``exact`` or ``city`` precision
  the public point (never the true one); with ``country`` precision the country and no coordinates. No
  ``address``: no street address is ever public. ``country`` (ISO 3166-1) and, when public, ``locality``
  are extension fields.
- service_at_location: one per service when the organization has a location object.

Public functions: :func:`taxonomy`, :func:`taxonomies`, :func:`taxonomy_term`, :func:`taxonomy_terms`,
:func:`organization`, :func:`service`, :func:`services`, :func:`location`, :func:`service_at_location`,
:func:`service_at_locations`, :func:`service_codes`, :func:`last_modified`, :func:`assured_date`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _

from .. import languages, regions, vocab
from ..organizations.models import LocationPrecision, Organization
from ..organizations.public import place_label, public_coordinates, public_locality, visible_contacts
from . import ids

#: The HSDS version this mapping follows.
HSDS_VERSION = "3.0"

#: Our taxonomies an organization is classified by (its offerings are services instead).
ORGANIZATION_TAXONOMIES = ("model", "focus", "trafficking", "engagement")

#: Coordinates are published only at these precisions (``country`` gives the country, not a point).
_POINT_PRECISIONS = (LocationPrecision.EXACT, LocationPrecision.CITY)

#: A function giving the public profile's address for a slug (None: no ``uri`` is sent).
ProfileUrl = Callable[[str], str] | None


def _locale() -> str:
    return str(get_locale() or "en")


# --- taxonomies ----------------------------------------------------------------------------------


def taxonomy(name: str) -> dict[str, Any]:
    """One of our taxonomies (``focus``, ``model``, ``trafficking``, ``service``, ``engagement``)."""
    return {
        "id": ids.taxonomy_id(name),
        "name": str(vocab.TAXONOMY_NAMES[name]),
        "description": str(vocab.TAXONOMY_DESCRIPTIONS[name]),
    }


def taxonomies() -> list[dict[str, Any]]:
    """Every taxonomy we publish, in vocabulary order."""
    return [taxonomy(name) for name in vocab.TAXONOMIES]


def taxonomy_term(name: str, code: str, detail: bool = True) -> dict[str, Any]:
    """A term of taxonomy ``name`` by its slug; ``detail`` nests the taxonomy itself. The same object for
    the same term in the same language (worked out once: a listing names dozens of terms); never change it."""
    return _taxonomy_term(_locale(), name, code, detail)


@functools.cache
def _taxonomy_term(locale: str, name: str, code: str, detail: bool) -> dict[str, Any]:
    """:func:`taxonomy_term` in ``locale``, the active locale (the cache's key)."""
    label = vocab.label(name, code)
    out: dict[str, Any] = {
        "id": ids.taxonomy_term_id(name, code),
        "code": code,
        "name": label,
        "description": _(
            "%(term)s, a term of the list “%(taxonomy)s”.", term=label, taxonomy=vocab.TAXONOMY_NAMES[name]
        ),
        "taxonomy": str(vocab.TAXONOMY_NAMES[name]),
        "taxonomy_id": ids.taxonomy_id(name),
        "language": locale,
    }
    if detail:
        out["taxonomy_detail"] = taxonomy(name)
    return out


def taxonomy_terms() -> list[tuple[str, str]]:
    """(taxonomy, slug) of every term we publish, in vocabulary order."""
    return [(name, code) for name, terms in vocab.TAXONOMIES.items() for code in terms]


@functools.cache
def terms_by_id() -> dict[str, tuple[str, str]]:
    """Every term we publish by its HSDS id: (taxonomy, slug)."""
    return {ids.taxonomy_term_id(name, code): (name, code) for name, code in taxonomy_terms()}


@functools.cache
def taxonomies_by_id() -> dict[str, str]:
    """Every taxonomy we publish by its HSDS id."""
    return {ids.taxonomy_id(name): name for name in vocab.TAXONOMIES}


def _attribute(link: str, entity: str, name: str, code: str, locale: str) -> dict[str, Any]:
    term = ids.taxonomy_term_id(name, code)
    return {
        "id": ids.attribute_id(link, term),
        "link_id": link,
        "link_entity": entity,
        "taxonomy_term_id": term,
        "taxonomy_term": _taxonomy_term(locale, name, code, False),
    }


def _organization_terms(org: Organization) -> list[tuple[str, str]]:
    return [(name, code) for name in ORGANIZATION_TAXONOMIES for code in org.term_codes(name)]


# --- organizations -------------------------------------------------------------------------------


def _description(org: Organization) -> str:
    return (
        org.description.strip()
        or org.summary.strip()
        or _("A survivor-led organization listed in this directory.")
    )


def _website(org: Organization) -> str | None:
    site = (org.website or "").strip()
    return site if site.startswith(("https://", "http://")) else None


def organization(
    org: Organization,
    *,
    full: bool = True,
    full_service: bool = False,
    profile_url: ProfileUrl = None,
) -> dict[str, Any]:
    """An organization: its one-to-one fields (HSDS ``organization_list``), and with ``full`` its
    services (brief, or whole with ``full_service``), location, public contacts and phones, and terms."""
    contacts = visible_contacts(org, None)  # the public's view, whoever asks
    out: dict[str, Any] = {"id": org.uuid, "name": org.name, "description": _description(org)}
    if contacts.email:
        out["email"] = contacts.email
    website = _website(org)
    if website:
        out["website"] = website
    if org.year_incorporated is not None:
        out["year_incorporated"] = org.year_incorporated
    if profile_url is not None:
        out["uri"] = profile_url(org.slug)
    if not full:
        return out
    shared = _Shared.of(org, profile_url, brief=dict(out))
    out["services"] = [_service(org, code, full_service, shared) for code in service_codes(org)]
    place = shared.place
    out["locations"] = [place] if place else []
    out["contacts"] = (
        [{"id": ids.contact_id(org.uuid), "organization_id": org.uuid, "email": contacts.email}]
        if contacts.email
        else []
    )
    out["phones"] = (
        [{"id": ids.phone_id(org.uuid), "organization_id": org.uuid, "number": contacts.phone}]
        if contacts.phone
        else []
    )
    out["attributes"] = [_attribute(org.uuid, "organization", n, c, shared.locale) for n, c in shared.terms]
    return out


# --- services ------------------------------------------------------------------------------------


def service_codes(org: Organization) -> list[str]:
    """The organization's offerings to partners (slugs of the ``service`` taxonomy): one service each."""
    return org.term_codes("service")


def last_modified(org: Organization) -> str:
    """When what the public sees of the listing last changed (RFC 3339, UTC, to the second)."""
    return org.updated_at.isoformat(timespec="seconds")


def assured_date(org: Organization) -> str | None:
    """The day an admin last verified the listing (ISO 8601), None when never."""
    return org.assured_date.date().isoformat() if org.assured_date else None


@dataclass(frozen=True)
class _Shared:
    """What every service of one listing repeats, worked out once per listing: the language, the brief
    organization, the public location and the organization's terms."""

    locale: str
    brief: dict[str, Any]
    place: dict[str, Any] | None
    terms: list[tuple[str, str]]

    @classmethod
    def of(cls, org: Organization, profile_url: ProfileUrl, brief: dict[str, Any] | None = None) -> _Shared:
        locale = _locale()
        return cls(
            locale=locale,
            brief=brief if brief is not None else organization(org, full=False, profile_url=profile_url),
            place=_location(org, locale),
            terms=_organization_terms(org),
        )


def service(
    org: Organization, code: str, *, full: bool = True, profile_url: ProfileUrl = None
) -> dict[str, Any]:
    """The organization's offering ``code`` as a service: its one-to-one fields and its organization's
    (HSDS ``service_list``), and with ``full`` its service areas, languages, location and terms."""
    return _service(org, code, full, _Shared.of(org, profile_url))


def _service(org: Organization, code: str, full: bool, shared: _Shared) -> dict[str, Any]:
    sid = ids.service_id(org.uuid, code)
    out: dict[str, Any] = {
        "id": sid,
        "organization_id": org.uuid,
        "name": vocab.label("service", code),
        "status": "active" if org.accepting_requests else "temporarily closed",
        "last_modified": last_modified(org),
    }
    assured = assured_date(org)
    if assured:
        out["assured_date"] = assured
    out["organization"] = shared.brief
    if not full:
        return out
    out["service_areas"] = [
        {
            "id": ids.service_area_id(sid, area.country_code),
            "service_id": sid,
            "name": regions.country_name(area.country_code, shared.locale),
            "country": area.country_code,
        }
        for area in org.service_areas
    ]
    out["languages"] = _languages(org, "service_id", sid, shared.locale)
    out["service_at_locations"] = [s for s in [_service_at_location(org, code, True, shared.place)] if s]
    out["attributes"] = [
        _attribute(sid, "service", n, c, shared.locale) for n, c in [("service", code), *shared.terms]
    ]
    return out


def services(org: Organization, *, full: bool = True, profile_url: ProfileUrl = None) -> list[dict[str, Any]]:
    """Every service of the organization, in vocabulary order."""
    shared = _Shared.of(org, profile_url)
    return [_service(org, code, full, shared) for code in service_codes(org)]


def _languages(org: Organization, link: str, parent: str, locale: str) -> list[dict[str, Any]]:
    return [
        {
            "id": ids.language_id(parent, lang.code),
            link: parent,
            "name": languages.name(lang.code, locale),
            "code": lang.code,
        }
        for lang in org.languages
    ]


# --- locations -----------------------------------------------------------------------------------


def location(org: Organization) -> dict[str, Any] | None:
    """Where the public may read the organization is; None for a hidden listing (or no location)."""
    return _location(org, _locale())


def _location(org: Organization, locale: str) -> dict[str, Any] | None:
    loc = org.location
    if loc is None or loc.location_precision is LocationPrecision.HIDDEN:
        return None
    lid = ids.location_id(org.uuid)
    out: dict[str, Any] = {
        "id": lid,
        "location_type": "physical",
        "organization_id": org.uuid,
        "name": place_label(loc.location_precision, loc.locality, loc.country_code),
        "country": loc.country_code,
    }
    locality = public_locality(loc.location_precision, loc.locality)
    if locality:
        out["locality"] = locality
    if loc.location_precision in _POINT_PRECISIONS:
        point = public_coordinates(loc.location_precision, loc.public_latitude, loc.public_longitude)
        if point:
            out["latitude"], out["longitude"] = point
    out["languages"] = _languages(org, "location_id", lid, locale)
    return out


def service_at_location(org: Organization, code: str, *, full: bool = True) -> dict[str, Any] | None:
    """The organization's service ``code`` at its location; None when the listing has no location object.
    ``full`` nests the location."""
    return _service_at_location(org, code, full, location(org))


def _service_at_location(
    org: Organization, code: str, full: bool, place: dict[str, Any] | None
) -> dict[str, Any] | None:
    if place is None:
        return None
    sid = ids.service_id(org.uuid, code)
    out: dict[str, Any] = {
        "id": ids.service_at_location_id(sid),
        "service_id": sid,
        "location_id": place["id"],
    }
    if full:
        out["location"] = place
    return out


def service_at_locations(org: Organization, *, full: bool = True) -> list[dict[str, Any]]:
    """Every service of the organization at its location (none for a hidden listing)."""
    place = location(org)
    found = (_service_at_location(org, code, full, place) for code in service_codes(org))
    return [s for s in found if s]
