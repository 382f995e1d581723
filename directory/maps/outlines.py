"""The offline base layer: Natural Earth's 1:110m country outlines as GeoJSON.

The vendored ``world-atlas`` TopoJSON (``static/vendor/world-atlas/countries-110m.json``) is converted
once, at build time (``flask geo build``, which ``make run`` and ``make serve`` call; the first request
for it builds it too), into a GeoJSON file in the instance folder. Each country carries its two-letter
code, so a profile with country precision can outline its country. The map needs no network at all.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from .topojson import to_feature_collection

#: Bump when the file's contents change (the converter, the properties), so old files are rebuilt.
OUTLINES_FORMAT = 1
SOURCE = Path("vendor") / "world-atlas" / "countries-110m.json"  # under the static folder

#: Outlines the 110m data gives no ISO number, and the country each stands for (if it is one).
_CODES_BY_NAME = {"Kosovo": "XK"}


def unwrap_ring(ring: list[list[float]]) -> list[list[float]]:
    """A ring that crosses the antimeridian, kept continuous: longitudes run on past ±180 instead of
    jumping across the world (Leaflet draws on a plane, where the jump would be a line across the map).
    A ring around a pole (Antarctica) ends 360° from where it started: it is closed through the pole."""
    out: list[list[float]] = []
    shift = 0.0
    for lon, lat in ring:
        if out:
            previous = out[-1][0] - shift
            if lon - previous > 180:
                shift -= 360
            elif previous - lon > 180:
                shift += 360
        out.append([lon + shift, lat])
    if len(out) > 1 and ring[0] == ring[-1] and out[0] != out[-1]:
        pole = 90.0 if out[-1][1] > 0 else -90.0
        out.extend([[out[-1][0], pole], [out[0][0], pole], list(out[0])])
    return out


def _unwrap(geometry: dict[str, Any] | None) -> None:
    if geometry is None:
        return
    if geometry["type"] == "Polygon":
        geometry["coordinates"] = [unwrap_ring(r) for r in geometry["coordinates"]]
    elif geometry["type"] == "MultiPolygon":
        geometry["coordinates"] = [[unwrap_ring(r) for r in p] for p in geometry["coordinates"]]


def country_outlines(topology: dict[str, Any], codes_by_number: Mapping[int, str]) -> dict[str, Any]:
    """The ``countries`` object of a world-atlas topology as GeoJSON for Leaflet: each feature's
    properties are its ``name`` and its two-letter ``country`` code (None where it has none), and rings
    across the antimeridian are unwrapped."""
    collection = to_feature_collection(topology, "countries", digits=3)  # about 100 m: plenty at 1:110m
    for feature in collection["features"]:
        number = feature.pop("id", None)
        name = feature["properties"].get("name", "")
        code = codes_by_number.get(int(number)) if number is not None else _CODES_BY_NAME.get(name)
        feature["properties"] = {"name": name, "country": code}
        _unwrap(feature["geometry"])
    return collection


def outlines_path(app: Flask) -> Path:
    """Where the built GeoJSON lives (``MAP_OUTLINES_PATH``, else in the instance folder)."""
    configured = app.config.get("MAP_OUTLINES_PATH")
    if configured:
        return Path(configured)
    return Path(app.instance_path) / f"countries-110m-v{OUTLINES_FORMAT}.geojson"


def source_path(app: Flask) -> Path:
    return Path(app.static_folder or "static") / SOURCE


def build_outlines(source: Path, target: Path) -> Path:
    """Convert ``source`` (TopoJSON) into ``target`` (GeoJSON), atomically: a half-written file is never
    served, and two processes building at once both leave a whole file."""
    from ..geo.build import country_codes_by_iso_numeric

    collection = country_outlines(json.loads(source.read_text("utf-8")), country_codes_by_iso_numeric())
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(collection, separators=(",", ":")), "utf-8")
    os.replace(tmp, target)
    return target


def is_current(source: Path, target: Path) -> bool:
    """Whether ``target`` exists and was built from the present ``source`` (a refreshed vendor file is
    newer than the file built from the old one)."""
    return target.exists() and target.stat().st_mtime >= source.stat().st_mtime


def ensure_outlines(app: Flask, force: bool = False) -> tuple[Path, bool]:
    """The built outlines file, built first when missing, stale or ``force``d; and whether it was built."""
    source, target = source_path(app), outlines_path(app)
    if force or not is_current(source, target):
        return build_outlines(source, target), True
    return target, False
