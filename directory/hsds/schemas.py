"""The HSDS 3.0 JSON schemas copied into ``schema/``, as a validator that never fetches anything.

Every file is registered under the address the HSDS documents use for it
(``https://raw.githubusercontent.com/openreferral/specification/3.0/schema/...``), so the relative
references of the raw schemas (``"$ref": "attribute.json"``) and the OpenAPI document's absolute ones resolve
to the local copies; any other reference fails at once instead of being retrieved.

It needs ``jsonschema[format-nongpl]`` (a development dependency): the tests use it, and so can an exporter
that checks what it writes; the web app never imports it.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT202012

from . import SCHEMA_DIR

#: Where the HSDS documents say the schemas live; only used as names here.
BASE_URI = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"


def _refuse(uri: str) -> Resource:
    raise NoSuchResource(ref=uri)


@cache
def registry() -> Registry:
    """Every local schema by its HSDS address; retrieving any other address raises ``NoSuchResource``."""
    resources = []
    for path in sorted(SCHEMA_DIR.rglob("*.json")):
        name = path.relative_to(SCHEMA_DIR).as_posix()
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((BASE_URI + name, DRAFT202012.create_resource(contents)))
    return Registry(retrieve=_refuse).with_resources(resources)


def schema(name: str) -> dict[str, Any]:
    """A schema by file name (``"taxonomy.json"``, ``"compiled/organization.json"``), by reference."""
    return {"$ref": BASE_URI + name}


def page_of(name: str) -> dict[str, Any]:
    """A ``Page`` whose ``contents`` are objects of the schema ``name``."""
    return {
        "allOf": [schema("page.json")],
        "properties": {"contents": {"type": "array", "items": schema(name)}},
    }


def validator(target: dict[str, Any]) -> Draft202012Validator:
    """A Draft 2020-12 validator of ``target`` over the local schemas, checking formats (uri, date-time,
    uuid, email) too."""
    return Draft202012Validator(target, registry=registry(), format_checker=FormatChecker())


def errors(instance: Any, target: dict[str, Any]) -> list[str]:
    """Every way ``instance`` breaks ``target``, as readable lines (empty when it is valid)."""
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '(root)'}: {err.message}"
        for err in validator(target).iter_errors(instance)
    ]
