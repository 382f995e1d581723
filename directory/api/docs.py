"""The API's description: the OpenAPI document (``/api/openapi.json``) and its reference page
(``/api/docs``), a plain server-rendered page built from the same document (no script, no CDN).

The page's headings are translated; the document's own text is English (see :mod:`.openapi`) and is
marked ``lang="en"``. Types and limits are written as code (``string[]``, ``1 ≤ n ≤ 100``), which reads the
same in every language.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, render_template
from markupsafe import Markup

from ..public_reads import public_read
from .openapi import document

bp = Blueprint("api_docs", __name__)

#: Enumerations longer than this are folded away on the page (the country codes).
SHORT_ENUM = 12


@bp.get("/openapi.json")
@public_read
def openapi() -> Response:
    """The OpenAPI 3.1 document."""
    return Response(json.dumps(document(), ensure_ascii=False, indent=1), mimetype="application/json")


#: A field's name written without backticks (the HSDS schemas' descriptions say "the taxonomy_term ...").
_IDENTIFIER = re.compile(r"\b([a-z]+_[a-z0-9_]+)\b")


def _identifiers_as_code(text: str) -> Markup:
    parts = _IDENTIFIER.split(text)
    return Markup("").join(Markup("<code>{}</code>").format(p) if i % 2 else p for i, p in enumerate(parts))


def code_spans(text: str) -> Markup:
    """``text`` with its `backticked` parts, and the field names written as they are (``snake_case``), as
    ``<code>``; everything else escaped."""
    parts = text.split("`")
    return Markup("").join(
        Markup("<code>{}</code>").format(p) if i % 2 else _identifiers_as_code(p) for i, p in enumerate(parts)
    )


def type_label(schema: dict[str, Any]) -> str:
    """A schema's type in a short notation: ``string``, ``Facet[]``, ``integer | null``."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "const" in schema:
        return json.dumps(schema["const"])
    if "anyOf" in schema:
        return " | ".join(type_label(s) for s in schema["anyOf"])
    kinds = schema.get("type", [])
    labels = []
    for kind in [kinds] if isinstance(kinds, str) else kinds:
        if kind == "array":
            items = schema.get("items", {})
            label = type_label(items)
            labels.append(f"({label})[]" if "anyOf" in items else f"{label}[]")
        elif kind == "object" and isinstance(schema.get("additionalProperties"), dict):
            labels.append(f"{{string: {type_label(schema['additionalProperties'])}}}")
        else:
            labels.append(str(kind))
    return " | ".join(labels) or "any"


def limits(schema: dict[str, Any]) -> str:
    """Bounds as code: ``1 ≤ n ≤ 100``, ``0 < n ≤ 20000``, ``len ≤ 200``."""
    if schema.get("type") == "array":
        schema = schema.get("items", {})
    low = (f"{schema['minimum']} ≤ " if "minimum" in schema else "") or (
        f"{schema['exclusiveMinimum']} < " if "exclusiveMinimum" in schema else ""
    )
    high = f" ≤ {schema['maximum']}" if "maximum" in schema else ""
    if low or high:
        return f"{low}n{high}"
    if "maxLength" in schema:
        return f"len ≤ {schema['maxLength']}"
    return ""


def _enum(schema: dict[str, Any]) -> list[str]:
    if schema.get("type") == "array":
        schema = schema.get("items", {})
    return [str(v) for v in schema.get("enum", [])]


@dataclass
class Field:
    """A parameter or a property, as the page shows it."""

    name: str
    type: str
    required: bool
    description: Markup
    where: str = ""
    limits: str = ""
    default: str = ""
    values: list[str] = field(default_factory=list)


def _field(name: str, schema: dict[str, Any], required: bool, description: str, where: str = "") -> Field:
    default = schema.get("default")
    return Field(
        name=name,
        type=type_label(schema),
        required=required,
        description=code_spans(description or schema.get("description", "")),
        where=where,
        limits=limits(schema),
        default="" if default is None else str(default),
        values=_enum(schema),
    )


@dataclass
class Operation:
    index: int  # its place on the page, from 1 (its anchor)
    tag: str
    method: str
    path: str
    summary: str
    description: Markup
    parameters: list[Field]
    responses: list[tuple[str, Markup, str, str]]  # status, description, media type, schema


def _operations(doc: dict[str, Any]) -> list[Operation]:
    found = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            parameters = [
                _field(p["name"], p["schema"], p.get("required", False), p.get("description", ""), p["in"])
                for p in op.get("parameters", [])
            ]
            responses = []
            for status, response in op["responses"].items():
                media, schema = next(iter(response.get("content", {}).items()), ("", {}))
                responses.append(
                    (
                        status,
                        code_spans(response["description"]),
                        media,
                        type_label(schema.get("schema", {})) if schema else "",
                    )
                )
            found.append(
                Operation(
                    index=len(found) + 1,
                    tag=op.get("tags", [""])[0],
                    method=method.upper(),
                    path=path,
                    summary=op.get("summary", ""),
                    description=code_spans(op.get("description", "")),
                    parameters=parameters,
                    responses=responses,
                )
            )
    return found


@dataclass
class SchemaEntry:
    """A component schema, as the page shows it: the schemas whose fields it has too (``allOf``), and
    its own fields."""

    name: str
    description: Markup
    extends: list[str]
    properties: list[Field]


def _schemas(doc: dict[str, Any]) -> list[SchemaEntry]:
    found = []
    for name, schema in doc["components"]["schemas"].items():
        required = set(schema.get("required", []))
        properties = [
            _field(prop, sub, prop in required, "") for prop, sub in schema.get("properties", {}).items()
        ]
        extends = [type_label(part) for part in schema.get("allOf", []) if "$ref" in part]
        found.append(SchemaEntry(name, code_spans(schema.get("description", "")), extends, properties))
    return found


@bp.get("/docs")
@public_read
def reference() -> str:
    """The reference page: every operation, its parameters and answers, then every schema."""
    doc = document()
    return render_template(
        "api_docs/reference.html",
        info=doc["info"],
        info_description=code_spans(doc["info"].get("description", "")),
        tags=[(tag["name"], code_spans(tag.get("description", ""))) for tag in doc["tags"]],
        operations=_operations(doc),
        schemas=_schemas(doc),
        short_enum=SHORT_ENUM,
    )
