"""The search map's points: every match of a search at its public point, with public fields only.

Each point is the one the location-privacy rule published (:mod:`directory.privacy`, stored as the
location's public point when the listing was saved); the true point is never read here. A hidden
listing, or one with no known point, gives no feature at all. A search may match far more listings than a
map can show: past ``limit`` points the map says so rather than drawing them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import url_for

from ..extensions import db
from ..geo.geometry import ResolvedPlace
from ..organizations.models import ListingStatus, Location, LocationPrecision, Organization
from ..organizations.public import place_label, public_coordinates
from ..search import SearchParams, search_all

#: Ids per statement when reading the points (well under any database's limit on parameters).
_CHUNK = 1000


@dataclass(frozen=True)
class MapPoint:
    """One listing on the map: what its popup shows and where it stands."""

    slug: str
    name: str
    place: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class MapPoints:
    """A search's map: its points (in the search's order), and what the map must say about the rest."""

    points: list[MapPoint]
    total: int  # matches of the search, with or without a public point
    capped: bool  # more matches have a public point than the map shows
    near: ResolvedPlace | None


def _rows(ids: list[int]) -> Iterator[Any]:
    """The public points of ``ids`` (published listings only), in the order of ``ids``."""
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = db.session.execute(
            sa.select(
                Organization.id,
                Organization.slug,
                Organization.name,
                Location.locality,
                Location.country_code,
                Location.location_precision,
                Location.public_latitude,
                Location.public_longitude,
            )
            .join(Location, Location.organization_id == Organization.id)
            .where(
                Organization.id.in_(chunk),
                Organization.status == ListingStatus.APPROVED,
                Location.location_precision != LocationPrecision.HIDDEN,
                Location.public_latitude.is_not(None),
                Location.public_longitude.is_not(None),
            )
        ).all()
        by_id = {row.id: row for row in rows}
        yield from (by_id[i] for i in chunk if i in by_id)


def public_points(ids: list[int], limit: int) -> tuple[list[MapPoint], bool]:
    """The public points of ``ids``, in that order, at most ``limit``; and whether more exist."""
    points: list[MapPoint] = []
    for row in _rows(ids):
        point = public_coordinates(row.location_precision, row.public_latitude, row.public_longitude)
        if point is None:
            continue
        if len(points) == limit:
            return points, True
        points.append(
            MapPoint(
                slug=row.slug,
                name=row.name,
                place=place_label(row.location_precision, row.locality, row.country_code),
                latitude=point[0],
                longitude=point[1],
            )
        )
    return points, False


def map_points(params: SearchParams, limit: int) -> MapPoints:
    """The map of a search: every match (all pages) that has a public point, up to ``limit``."""
    found = search_all(params)
    points, capped = public_points(found.ids, limit)
    return MapPoints(points, len(found.ids), capped, found.near)


def feature_collection(found: MapPoints, params: SearchParams, message: str | None) -> dict[str, Any]:
    """The map as GeoJSON: a point feature per listing with its name, profile address and place; the
    search's place and radius, and the totals, as members of the collection."""
    near = None
    if found.near is not None:
        near = {
            "name": found.near.name,
            "latitude": round(found.near.point.latitude, 5),
            "longitude": round(found.near.point.longitude, 5),
            "radius_km": params.radius_km,
        }
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [p.longitude, p.latitude]},
                "properties": {
                    "name": p.name,
                    "url": url_for("organizations.profile", slug=p.slug),
                    "place": p.place,
                },
            }
            for p in found.points
        ],
        "total": found.total,
        "shown": len(found.points),
        "capped": found.capped,
        "message": message,
        "near": near,
    }
