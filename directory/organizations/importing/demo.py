"""The bundled fictional demo organizations (``flask seed-demo``)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from ..models import LocationPrecision, Visibility
from ..services import OrganizationInput


def demo_inputs() -> list[OrganizationInput]:
    """The bundled fictional demo organizations."""
    path = resources.files("directory") / "demo" / "organizations.json"
    with path.open("rb") as handle:
        raw: list[dict[str, Any]] = json.load(handle)
    out = []
    for item in raw:
        item = dict(item)
        item["location_precision"] = LocationPrecision(item["location_precision"])
        item["email_visibility"] = Visibility(item["email_visibility"])
        item["phone_visibility"] = Visibility(item["phone_visibility"])
        out.append(OrganizationInput(**item))
    return out
