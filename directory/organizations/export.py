"""A search's matches as a spreadsheet (CSV): what the public may see of each, streamed in batches.

Each row is built from :func:`.public.profile_json` for a reader who is not signed in, so the CSV can
never show more than a public profile: the public point only, the city only when the listing shows it,
contacts only where their visibility is ``public`` (a signed-in agency gets the same file as everyone).

The columns:

- Names from HSDS 3.0 where it has the field (``id``, ``name``, ``uri``, ``description``, ``email``,
  ``website``, ``year_incorporated``, ``city`` and ``country`` as in ``address``, ``latitude`` and
  ``longitude`` as in ``location``, ``languages``, ``service_areas``, ``assured_date``,
  ``last_modified``); the directory's own names otherwise. Column names are never translated, so a script
  reads every download alike.
- Vocabulary values twice: the stable codes (the same in every language, in the API and in the search's
  parameters: what a script joins on), then their labels in the reader's language (what a person reads),
  e.g. ``focus_areas`` = ``housing; youth`` and ``focus_area_labels`` = ``Logement; Jeunesse``. Several
  values are separated by ``"; "``.

Every text cell goes through :func:`directory.spreadsheet.safe_cell`. The file is UTF-8 with a byte-order
mark: without it, Excel opens a CSV in the computer's legacy code page and garbles every accented or
non-Latin name ("Côte d’Ivoire"); LibreOffice, Google Sheets, pandas and Python's ``utf-8-sig`` read the
mark and drop it.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from flask import url_for

from .. import regions, vocab
from ..extensions import db
from ..spreadsheet import cell
from .models import ListingStatus, Organization
from .public import profile_json, visible_contacts

#: Listings read per statement: enough to keep round trips few, small enough to bound memory.
BATCH_SIZE = 500
#: Between several values in one cell.
SEPARATOR = "; "
#: Written first, so Excel reads the file as UTF-8.
BOM = "\ufeff"

#: taxonomy -> (codes column, labels column, profile_json key)
_TERM_COLUMNS = {
    "model": ("leadership_models", "leadership_model_labels", "leadership_models"),
    "focus": ("focus_areas", "focus_area_labels", "focus_areas"),
    "trafficking": ("trafficking_types", "trafficking_type_labels", "trafficking_types"),
    "service": ("services", "service_labels", "services"),
    "engagement": ("engagement_types", "engagement_type_labels", "engagement_types"),
}

Row = dict[str, Any]


def _joined(values: Iterable[str]) -> str:
    return SEPARATOR.join(values)


def _location(profile: Row) -> Row:
    loc = profile["location"] or {}
    return {
        "city": loc.get("locality"),
        "country": loc.get("country"),
        "country_name": loc.get("country_name"),
        "region": loc.get("region"),
        "subregion": loc.get("subregion"),
        "location_precision": loc.get("precision"),
        "latitude": loc.get("latitude"),
        "longitude": loc.get("longitude"),
    }


@functools.lru_cache(maxsize=1024)
def _label(language: str, taxonomy: str, code: str) -> str:
    """A term's label in ``language``, the page's (the cache's key): looked up once per export, not once
    per row (a translation lookup costs more than the rest of a cell)."""
    return vocab.label(taxonomy, code)


def _terms(profile: Row, language: str) -> Row:
    out: Row = {}
    for taxonomy, (codes, labels, key) in _TERM_COLUMNS.items():
        out[codes] = _joined(profile[key])
        out[labels] = _joined(_label(language, taxonomy, code) for code in profile[key])
    return out


def public_row(org: Organization, language: str) -> Row:
    """One listing's row: what a profile shows the public (never a signed-in viewer's extra contacts)."""
    profile = profile_json(org, visible_contacts(org, None), language=language)
    return {
        "id": profile["id"],
        "name": profile["name"],
        "uri": url_for("organizations.profile", slug=profile["slug"], _external=True),
        "summary": profile["summary"],
        "summary_language": profile["summary_language"],
        "description": profile["description"],
        "leadership_narrative": profile["leadership_narrative"],
        "leadership_narrative_language": profile["leadership_narrative_language"],
        "survivor_attestation": profile["survivor_attestation"],
        "year_incorporated": profile["year_incorporated"],
        "website": profile["website"],
        "email": profile["email"],
        "phone": profile["phone"],
        **_location(profile),
        **_terms(profile, language),
        "languages": _joined(profile["languages"]),
        "language_names": _joined(regions.language_name(code, language) for code in profile["languages"]),
        "service_areas": _joined(profile["service_areas"]),
        "service_area_names": _joined(
            regions.country_name(code, language) for code in profile["service_areas"]
        ),
        "assured_date": profile["verified_on"],
        "last_modified": profile["updated_at"],
        "is_demo": profile["is_demo"],
    }


#: The columns, in order (the keys of :func:`public_row`).
COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "uri",
    "summary",
    "summary_language",
    "description",
    "leadership_narrative",
    "leadership_narrative_language",
    "survivor_attestation",
    "year_incorporated",
    "website",
    "email",
    "phone",
    "city",
    "country",
    "country_name",
    "region",
    "subregion",
    "location_precision",
    "latitude",
    "longitude",
    *(column for codes, labels, _key in _TERM_COLUMNS.values() for column in (codes, labels)),
    "languages",
    "language_names",
    "service_areas",
    "service_area_names",
    "assured_date",
    "last_modified",
    "is_demo",
)


def published_batches(ids: list[int], size: int | None = None) -> Iterator[list[Organization]]:
    """The published listings among ``ids``, in that order, ``size`` at a time (one statement each).

    A listing unpublished since the search ran is left out. Only one batch is held at a time: the
    session keeps no strong reference to unchanged objects, so each batch is freed once passed on.
    """
    size = size or BATCH_SIZE
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        found = {
            org.id: org
            for org in db.session.scalars(
                sa.select(Organization).where(
                    Organization.id.in_(chunk), Organization.status == ListingStatus.APPROVED
                )
            )
        }
        yield [found[i] for i in chunk if i in found]


def csv_chunks(
    batches: Iterable[list[Organization]], language: str, row: Callable[[Organization, str], Row] = public_row
) -> Iterator[str]:
    """The CSV text: the byte-order mark and the header, then one piece per batch of listings."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180: quoted where needed, CRLF line ends
    writer.writerow(COLUMNS)
    yield BOM + buffer.getvalue()
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        for org in batch:
            values = row(org, language)
            writer.writerow([cell(values[name]) for name in COLUMNS])
        yield buffer.getvalue()
