"""TopoJSON to GeoJSON: pure functions, no I/O.

TopoJSON stores each shared border once, as an *arc*, and geometries as lists of arc indices (a negative
index ``~i`` means arc ``i`` reversed). A quantized topology also delta-encodes each arc's integer
positions and carries the ``transform`` that turns them back into longitudes and latitudes. This is what
``topojson-client``'s ``feature()`` does, written out for the few geometry types a topology holds.
See https://github.com/topojson/topojson-specification.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Position = list[float]


class TopologyError(ValueError):
    """The input is not a TopoJSON topology this converter understands."""


def _transformer(topology: dict[str, Any], digits: int) -> Callable[[Sequence[float]], Position]:
    transform = topology.get("transform")
    if transform is None:
        return lambda p: [round(float(p[0]), digits), round(float(p[1]), digits)]
    (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
    return lambda p: [round(p[0] * sx + tx, digits), round(p[1] * sy + ty, digits)]


def decode_arcs(topology: dict[str, Any], digits: int = 4) -> list[list[Position]]:
    """Every arc as a list of [longitude, latitude] positions (undoing quantization and delta coding)."""
    to_position = _transformer(topology, digits)
    quantized = "transform" in topology
    arcs = []
    for arc in topology.get("arcs", []):
        if quantized:
            x = y = 0
            absolute = []
            for point in arc:
                x += point[0]
                y += point[1]
                absolute.append((x, y))
        else:
            absolute = arc
        arcs.append([to_position(p) for p in absolute])
    return arcs


def _line(indices: Sequence[int], arcs: list[list[Position]]) -> list[Position]:
    """The positions of a chain of arcs; each arc after the first starts where the last one ended."""
    points: list[Position] = []
    for index in indices:
        try:
            arc = arcs[index] if index >= 0 else arcs[~index][::-1]  # ~index is never negative here
        except IndexError:
            raise TopologyError(f"arc index {index} is out of range") from None
        points.extend(arc[1:] if points else arc)
    return points


def _ring(indices: Sequence[int], arcs: list[list[Position]]) -> list[Position]:
    points = _line(indices, arcs)
    if points and points[0] != points[-1]:
        points.append(list(points[0]))  # GeoJSON rings are closed
    return points


def geometry(obj: dict[str, Any], arcs: list[list[Position]], to_position: Callable) -> dict[str, Any] | None:
    """One TopoJSON geometry object as a GeoJSON geometry (None for a null geometry)."""
    kind = obj.get("type")
    if kind is None:
        return None
    if kind == "GeometryCollection":
        return {
            "type": "GeometryCollection",
            "geometries": [g for g in (geometry(o, arcs, to_position) for o in obj["geometries"]) if g],
        }
    if kind == "Point":
        coordinates: Any = to_position(obj["coordinates"])
    elif kind == "MultiPoint":
        coordinates = [to_position(p) for p in obj["coordinates"]]
    elif kind == "LineString":
        coordinates = _line(obj["arcs"], arcs)
    elif kind == "MultiLineString":
        coordinates = [_line(line, arcs) for line in obj["arcs"]]
    elif kind == "Polygon":
        coordinates = [_ring(ring, arcs) for ring in obj["arcs"]]
    elif kind == "MultiPolygon":
        coordinates = [[_ring(ring, arcs) for ring in polygon] for polygon in obj["arcs"]]
    else:
        raise TopologyError(f"unknown geometry type {kind!r}")
    return {"type": kind, "coordinates": coordinates}


def to_feature_collection(topology: dict[str, Any], object_name: str, digits: int = 4) -> dict[str, Any]:
    """The named object of a topology as a GeoJSON FeatureCollection (one feature per geometry).

    Each feature keeps the geometry's ``id`` and ``properties``; coordinates are rounded to ``digits``
    decimals (4 is about 10 m, far finer than a 1:110m map).
    """
    if topology.get("type") != "Topology":
        raise TopologyError("not a TopoJSON topology")
    try:
        obj = topology["objects"][object_name]
    except KeyError:
        raise TopologyError(f"the topology has no object {object_name!r}") from None
    arcs = decode_arcs(topology, digits)
    to_position = _transformer(topology, digits)
    members = obj["geometries"] if obj.get("type") == "GeometryCollection" else [obj]
    features = []
    for member in members:
        feature: dict[str, Any] = {
            "type": "Feature",
            "properties": dict(member.get("properties") or {}),
            "geometry": geometry(member, arcs, to_position),
        }
        if "id" in member:
            feature["id"] = member["id"]
        features.append(feature)
    return {"type": "FeatureCollection", "features": features}
