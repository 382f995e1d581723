"""HSDS 3.0's tabular form: a directory as a zip of CSV tables described by a ``datapackage.json``.

The tables and their columns come from the specification's own schemas (``schema/*.json``: each names its
file, its place in the package and its fields), so the package follows the specification rather than a copy
of it. Nested HSDS objects (an organization's services, a service's service areas and languages, attributes
and their taxonomy terms, ...) become rows of their own table, each carrying its parent's id in the column
the specification gives for it (``organization_id``, ``service_id``, ``location_id``, ``link_id``, ...).

Memory stays bounded however large the directory: organizations are read one at a time, every table's rows
go to a temporary file on disk as they come, and the zip is written from those files. Only the ids of
taxonomies and taxonomy terms (a few hundred) are held, since many attributes name the same term.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..spreadsheet import cell  # every cell, in every CSV the directory writes
from . import SCHEMA_DIR

#: Objects reached from more than one place (many attributes name one term): written once, by id.
SHARED = ("taxonomy_term", "taxonomy")
#: References back up the tree (a service's organization, a service at a location's location): the object
#: is written where it belongs, not again from here.
BACK_REFERENCES = {"service": ("organization", "program"), "service_at_location": ("location",)}

#: JSON Schema (type, format) as a Table Schema field type.
_FIELD_TYPES = {("string", "date"): "date", ("string", "date-time"): "datetime", ("string", "time"): "time"}


@dataclass(frozen=True)
class Table:
    """One HSDS object's table: its name (``service_area``), its file (``service_areas.csv``), its place
    in the package, its columns and the objects nested in it (property -> object name)."""

    name: str
    path: str
    order: int
    description: str
    columns: tuple[str, ...]
    fields: tuple[dict[str, Any], ...]
    nested: tuple[tuple[str, str], ...]


def _field(prop: dict[str, Any], required: bool) -> dict[str, Any]:
    """A property of the HSDS schema as a Table Schema field (its type as the specification gives it for
    the tabular form, where it does)."""
    kind = prop.get("type", "string")
    field: dict[str, Any] = {"name": prop["name"]}
    if prop.get("datapackage_type"):
        field["type"] = prop["datapackage_type"]
    elif (kind, prop.get("format")) in _FIELD_TYPES:
        field["type"] = _FIELD_TYPES[(kind, prop["format"])]
    else:
        field["type"] = kind
        if kind == "string" and prop.get("format") in ("uri", "email", "uuid"):
            field["format"] = prop["format"]
    for key in ("title", "description"):
        if prop.get(key):
            field[key] = prop[key]
    constraints = {k: v for k, v in (prop.get("constraints") or {}).items() if k == "unique" and v}
    if required:
        constraints["required"] = True
    if constraints:
        field["constraints"] = constraints
    return field


@functools.cache
def tables() -> dict[str, Table]:
    """Every HSDS table, by object name, in the specification's order."""
    found = []
    for file in SCHEMA_DIR.glob("*.json"):
        schema = json.loads(file.read_text(encoding="utf-8"))
        if "datapackage_metadata" not in schema:
            continue  # the API description, or one of our own schemas
        required = set(schema.get("required", ()))
        columns, fields, nested = [], [], []
        for key, prop in schema["properties"].items():
            ref = prop.get("$ref") or (prop.get("items") or {}).get("$ref")
            if ref:
                nested.append((key, Path(ref).stem))
            elif prop.get("type") not in ("array", "object"):
                columns.append(key)
                fields.append(_field({"name": key, **prop}, key in required))
        found.append(
            Table(
                name=schema["name"],
                path=schema["path"],
                order=schema["datapackage_metadata"]["order"],
                description=schema.get("description", ""),
                columns=tuple(columns),
                fields=tuple(fields),
                nested=tuple(nested),
            )
        )
    return {table.name: table for table in sorted(found, key=lambda t: t.order)}


#: What an organization holds that its own schema file leaves to the services' table (the compiled
#: organization schema nests them).
_EXTRA_NESTED = {"organization": (("services", "service"),)}


class _Writer:
    """Rows of every table, each table in a temporary file of its own until the zip is written."""

    def __init__(self, to_text: Callable[[Any], str]) -> None:
        self.to_text = to_text
        self.files: dict[str, IO[str]] = {}
        self.writers: dict[str, Any] = {}
        self.counts: dict[str, int] = {}
        self.seen: dict[str, set[str]] = {name: set() for name in SHARED}

    def row(self, table: Table, values: dict[str, Any]) -> None:
        if table.name not in self.files:
            self.files[table.name] = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")
            self.writers[table.name] = csv.writer(self.files[table.name], lineterminator="\r\n")
            self.writers[table.name].writerow(table.columns)
            self.counts[table.name] = 0
        self.writers[table.name].writerow([self.to_text(values.get(c)) for c in table.columns])
        self.counts[table.name] += 1

    def close(self) -> None:
        for file in self.files.values():
            file.close()


def _row(name: str, obj: dict[str, Any], parent: tuple[str, str] | None) -> dict[str, Any]:
    """The columns of ``obj``'s row: its own values, and the ids that join it to its parent and its term."""
    values = {k: v for k, v in obj.items() if not isinstance(v, dict | list)}
    if parent is not None:
        parent_name, parent_id = parent
        values.setdefault(f"{parent_name}_id", parent_id)  # kept only where the table has that column
        if name == "attribute":
            values.setdefault("link_id", parent_id)
            values.setdefault("link_entity", parent_name)
        if name == "metadata":
            values.setdefault("resource_id", parent_id)
            values.setdefault("resource_type", parent_name)
    for key, reference in (("taxonomy_term", "taxonomy_term_id"), ("taxonomy_detail", "taxonomy_id")):
        if isinstance(obj.get(key), dict):
            values.setdefault(reference, obj[key].get("id"))
    return values


def _walk(writer: _Writer, name: str, obj: dict[str, Any], parent: tuple[str, str] | None) -> None:
    """Write ``obj`` (an HSDS ``name`` object) and everything nested in it."""
    table = tables()[name]
    if name in SHARED:
        if obj.get("id") in writer.seen[name]:
            return
        writer.seen[name].add(obj["id"])
    writer.row(table, _row(name, obj, parent))
    skip = BACK_REFERENCES.get(name, ())
    for key, child in table.nested + _EXTRA_NESTED.get(name, ()):
        if key in skip or child not in tables():
            continue
        value = obj.get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                _walk(writer, child, item, (name, obj.get("id", "")))


def datapackage(counts: dict[str, int], name: str, title: str) -> dict[str, Any]:
    """The package's description: one tabular resource per table written (``counts``: rows per table)."""
    return {
        "name": name,
        "title": title,
        "profile": "tabular-data-package",
        "resources": [
            {
                "name": table.name,
                "path": table.path,
                "description": table.description,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {"fields": list(table.fields), "primaryKey": "id"},
            }
            for table in tables().values()
            if table.name in counts
        ],
    }


def write_package(
    organizations: Iterable[dict[str, Any]],
    out: IO[bytes],
    *,
    name: str,
    title: str,
    extra: Iterable[tuple[str, dict[str, Any]]] = (),
    to_text: Callable[[Any], str] = cell,
) -> dict[str, int]:
    """Write ``organizations`` (HSDS organization objects with their services nested) and ``extra``
    objects (``("taxonomy", {...})``: the published taxonomies, say) to ``out`` as a zip of CSV tables
    with a ``datapackage.json``. ``to_text`` turns each value into its cell (neutralising formulas, say).
    Returns the rows written per table."""
    writer = _Writer(to_text)
    try:
        for kind, obj in extra:
            _walk(writer, kind, obj, None)
        for organization in organizations:
            _walk(writer, "organization", organization, None)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as package:
            package.writestr(
                "datapackage.json", json.dumps(datapackage(writer.counts, name, title), indent=1)
            )
            for table in tables().values():
                if table.name not in writer.files:
                    continue
                source = writer.files[table.name]
                source.seek(0)
                with (
                    package.open(table.path, "w") as member,
                    io.TextIOWrapper(member, encoding="utf-8", newline="") as text,
                ):
                    shutil.copyfileobj(source, text, 1 << 16)
        return dict(writer.counts)
    finally:
        writer.close()
