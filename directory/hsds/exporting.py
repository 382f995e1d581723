"""The whole public directory in HSDS 3.0: as one JSON document (a list of organizations with their
services, locations, service areas, languages, public contacts and terms nested: what ``flask import-hsds``
reads) and in the specification's tabular form (:mod:`directory.hsds.tabular`).

Listings are read a batch at a time and each batch is let go before the next, so memory stays bounded
however large the directory; only the ids of the published listings are held (a few bytes each). What is
exported is exactly what the HSDS API shows: :mod:`directory.hsds.mapping`, the public's view.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..organizations.export import published_batches
from ..organizations.models import ListingStatus, Organization
from ..search.index import current_generation
from . import mapping, tabular
from .mapping import ProfileUrl

_PUBLISHED = Organization.status == ListingStatus.APPROVED


def published_ids() -> list[int]:
    """The published listings, oldest first (a stable order: an export made twice lists them alike)."""
    return list(db.session.scalars(sa.select(Organization.id).where(_PUBLISHED).order_by(Organization.id)))


def published_count() -> int:
    """How many listings are published."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Organization).where(_PUBLISHED)) or 0


def organizations(profile_url: ProfileUrl = None) -> Iterator[dict[str, Any]]:
    """Every published listing as a whole HSDS organization (whole services nested), read a batch at a
    time as the search CSV reads them (:func:`~directory.organizations.export.published_batches`)."""
    for batch in published_batches(published_ids()):
        for org in batch:
            yield mapping.organization(org, full=True, full_service=True, profile_url=profile_url)


def write_json(out: IO[str], profile_url: ProfileUrl = None) -> int:
    """Write the directory as a JSON list of organizations; returns how many."""
    count = 0
    out.write("[")
    for organization in organizations(profile_url):
        out.write(",\n" if count else "\n")
        out.write(json.dumps(organization, ensure_ascii=False, sort_keys=True))
        count += 1
    out.write("\n]\n")
    return count


def taxonomy_objects() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every taxonomy and term we publish, for the tabular form's own tables (terms no listing uses yet
    included)."""
    for taxonomy in mapping.taxonomies():
        yield "taxonomy", taxonomy
    for name, code in mapping.taxonomy_terms():
        yield "taxonomy_term", mapping.taxonomy_term(name, code)


def write_tabular(
    out: IO[bytes], profile_url: ProfileUrl = None, to_text: Callable[[Any], str] = tabular.cell
) -> dict[str, int]:
    """Write the directory in HSDS's tabular form (a zip of CSV tables and ``datapackage.json``)."""
    return tabular.write_package(
        organizations(profile_url),
        out,
        name="survivor-led-directory",
        title="Survivor-Led Partnership Directory (HSDS 3.0)",
        extra=taxonomy_objects(),
        to_text=to_text,
    )


def export_folder() -> Path:
    """Where the built packages are kept (``EXPORT_FOLDER``, else ``instance/exports``)."""
    return Path(current_app.config.get("EXPORT_FOLDER") or Path(current_app.instance_path) / "exports")


def latest_package(locale: str) -> Path | None:
    """The newest package built in ``locale``, current or not; None when none was ever built."""
    built = sorted(
        export_folder().glob(f"hsds-*-{locale}.zip"),
        key=lambda p: int(p.name.split("-")[1]),
        reverse=True,
    )
    return built[0] if built else None


def current_package(locale: str, to_text: Callable[[Any], str] = tabular.cell) -> Path:
    """The tabular package of the directory as it is now, in ``locale`` (labels and names): built when the
    listings have changed since the last one (any change bumps the search generation), else the file
    already built. A package is written under a temporary name and renamed, so a reader never sees half
    of one; older packages of that language are then removed."""
    folder = export_folder()
    path = folder / f"hsds-{current_generation(db.session)}-{locale}.zip"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".hsds-", suffix=".part", delete=False) as part:
        try:
            write_tabular(part, to_text=to_text)
        except BaseException:
            os.unlink(part.name)
            raise
    os.replace(part.name, path)
    for older in folder.glob(f"hsds-*-{locale}.zip"):
        if older != path:
            older.unlink(missing_ok=True)
    return path
