"""One CSV row turned into a checked :class:`OrganizationInput`, a group of columns at a time.

Each ``_read_*`` function reads and checks a few related columns and raises :class:`RowError` with the
reason (the import reports it with the row's line number). The listing rules themselves (names, contacts,
vocabularies) are :func:`~directory.organizations.services.validate_input`'s, run afterwards.
"""

from __future__ import annotations

import re

from ... import regions
from ...geo import Gazetteer
from ..models import ListingStatus, LocationPrecision
from ..services import OrganizationInput, slugify

#: Focus slugs in the CSV that really name a trafficking type.
TRAFFICKING_FOCUS = {"sex-trafficking": "sex", "labor-trafficking": "labor"}
_STATUSES = frozenset(s.value for s in ListingStatus)


class RowError(ValueError):
    """One row cannot be imported; the message says why."""


def _cell(row: dict[str, str], name: str) -> str:
    return (row.get(name) or "").strip()


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _float(value: str, name: str) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise RowError(f"{name} {value!r} is not a number") from None


def summary_from(description: str, limit: int = 200) -> str:
    """The first sentence of a description, cut at a word boundary to ``limit`` characters."""
    first = re.split(r"(?<=[.!?])\s", description.strip(), maxsplit=1)[0]
    if len(first) <= limit:
        return first
    return first[: limit - 1].rsplit(" ", 1)[0] + "…"


def _read_country(row: dict[str, str], gazetteer: Gazetteer) -> str:
    """The country code, checked against the country's name and the region when the row gives them."""
    cc = _cell(row, "country_code").upper()
    if not regions.is_country(cc):
        raise RowError(f"country_code {cc!r} is not an ISO 3166-1 alpha-2 code")
    country = _cell(row, "country")
    if country:
        named = gazetteer.country_code_for(country)
        if named is not None and named != cc:
            raise RowError(f"country {country!r} is {named}, not {cc}")
    region = _cell(row, "region")
    if region:
        derived = regions.region_of(cc)
        if slugify(region) not in (derived.region, derived.subregion):
            raise RowError(
                f"region {region!r} does not match {cc}, which is in {derived.region} / {derived.subregion}"
            )
    return cc


def _read_focus(row: dict[str, str]) -> tuple[list[str], list[str]]:
    """(focus areas, trafficking types): the CSV's ``focus_areas`` holds both."""
    focus, trafficking = [], []
    for slug in _split(row.get("focus_areas") or ""):
        if slug in TRAFFICKING_FOCUS:
            trafficking.append(TRAFFICKING_FOCUS[slug])
        else:
            focus.append(slug)
    return focus, trafficking


def _read_year(row: dict[str, str]) -> int | None:
    year = _cell(row, "founded_year")
    if year and not (year.isascii() and year.isdigit() and len(year) <= 4):
        raise RowError(f"founded_year {year!r} is not a year")
    return int(year) if year else None


def _read_precision(row: dict[str, str]) -> LocationPrecision:
    given = _cell(row, "location_precision").lower() or "city"
    try:
        return LocationPrecision(given)
    except ValueError:
        valid = ", ".join(p.value for p in LocationPrecision)
        raise RowError(f"location_precision {given!r} is not one of {valid}") from None


def _read_status(row: dict[str, str]) -> str | None:
    """The status the row asks for (the optional ``status`` column), or None."""
    status = _cell(row, "status").lower() or None
    if status is not None and status not in _STATUSES:
        valid = ", ".join(s.value for s in ListingStatus)
        raise RowError(f"status {status!r} is not one of {valid}")
    return status


def row_to_input(row: dict[str, str], gazetteer: Gazetteer) -> tuple[OrganizationInput, str | None]:
    """Turn one CSV row into OrganizationInput and its status; raise RowError with the reason."""
    cc = _read_country(row, gazetteer)
    focus, trafficking = _read_focus(row)
    year = _read_year(row)
    precision = _read_precision(row)
    description = _cell(row, "description")
    data = OrganizationInput(
        name=row.get("name") or "",
        country_code=cc,
        city=row.get("city") or "",
        summary=summary_from(description),
        description=description,
        year_incorporated=year,
        website=_cell(row, "website") or None,
        email=_cell(row, "email") or None,
        latitude=_float(_cell(row, "latitude"), "latitude"),
        longitude=_float(_cell(row, "longitude"), "longitude"),
        location_precision=precision,
        trafficking=trafficking,
        focus=focus,
        models=_split(row.get("leadership_models") or ""),
        services=_split(row.get("services") or ""),
        languages=_split(row.get("languages") or ""),
    )
    return data, _read_status(row)
