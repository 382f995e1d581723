"""Points, places, distances and bounding boxes on the sphere: pure geometry, no data and no app.

Distances come from ``geopy.distance`` (great circle, on geopy's mean earth radius); the bounding box
uses the same radius, so that the search's proximity filter and the distances it shows agree.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from geopy.distance import great_circle

EARTH_RADIUS_KM = 6371.009  # geopy.distance.EARTH_RADIUS, the mean radius great_circle uses

_COORDINATES = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*[,; ]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")


@dataclass(frozen=True, slots=True)
class Point:
    """A latitude/longitude pair in decimal degrees."""

    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class ResolvedPlace:
    """A geocoded place: its display name and point."""

    name: str
    point: Point


def distance_km(a: Point, b: Point) -> float:
    """Great-circle distance in kilometres (geopy)."""
    return great_circle((a.latitude, a.longitude), (b.latitude, b.longitude)).km


@dataclass(frozen=True, slots=True)
class BoundingBox:
    """Latitude range and one or two longitude ranges (two when the box crosses the ±180° meridian)."""

    min_lat: float
    max_lat: float
    lon_ranges: tuple[tuple[float, float], ...]


def bounding_box(center: Point, radius_km: float) -> BoundingBox:
    """The smallest lat/lon box holding every point within ``radius_km`` of ``center``.

    Correct near the poles (a box reaching a pole spans every longitude) and across the antimeridian
    (the longitude range is split in two). After J. P. Matuschek, "Finding Points Within a Distance of a
    Latitude/Longitude Using Bounding Coordinates".
    """
    angular = radius_km / EARTH_RADIUS_KM
    lat = math.radians(center.latitude)
    lon = math.radians(center.longitude)
    min_lat, max_lat = lat - angular, lat + angular
    if min_lat <= -math.pi / 2 or max_lat >= math.pi / 2 or angular >= math.pi / 2:
        return BoundingBox(
            math.degrees(max(min_lat, -math.pi / 2)),
            math.degrees(min(max_lat, math.pi / 2)),
            ((-180.0, 180.0),),
        )
    delta = math.asin(min(1.0, math.sin(angular) / math.cos(lat)))
    min_lon, max_lon = lon - delta, lon + delta
    lo, hi = math.degrees(min_lon), math.degrees(max_lon)
    if lo < -180.0:
        ranges: tuple[tuple[float, float], ...] = ((lo + 360.0, 180.0), (-180.0, hi))
    elif hi > 180.0:
        ranges = ((lo, 180.0), (-180.0, hi - 360.0))
    else:
        ranges = ((lo, hi),)
    return BoundingBox(math.degrees(min_lat), math.degrees(max_lat), ranges)


def parse_coordinates(text: str) -> Point | None:
    """``"4.05, 9.7"`` -> Point, when the text is a valid latitude/longitude pair; else None."""
    match = _COORDINATES.match(text)
    if not match:
        return None
    lat, lon = float(match.group(1)), float(match.group(2))
    if -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0:
        return Point(lat, lon)
    return None


def spherical_mean(points: list[tuple[float, float, float]]) -> tuple[float, float]:
    """Weighted mean of (lat, lon, weight) on the sphere, correct across the antimeridian."""
    x = y = z = 0.0
    for lat, lon, weight in points:
        la, lo = math.radians(lat), math.radians(lon)
        x += weight * math.cos(la) * math.cos(lo)
        y += weight * math.cos(la) * math.sin(lo)
        z += weight * math.sin(la)
    return (
        math.degrees(math.atan2(z, math.hypot(x, y))),
        math.degrees(math.atan2(y, x)),
    )


def sines_and_cosines(lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """The sine and cosine of each latitude and longitude (in degrees), as four rows (sin lat, cos lat,
    sin lon, cos lon): what :func:`great_circle_km` reads, worked out once for points that are measured
    from many centres (the search index's)."""
    lat, lon = np.radians(lats), np.radians(lons)
    return np.stack((np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)))


def great_circle_km(center: Point, trig: np.ndarray) -> np.ndarray:
    """Distances from ``center`` to the points of :func:`sines_and_cosines`: geopy's ``great_circle``
    formula (same radius), over arrays. The longitude difference's sine and cosine come from the
    angle-difference identities, so no trigonometric function runs per point but the last arctangent."""
    lat1, lon1 = math.radians(center.latitude), math.radians(center.longitude)
    sin_lat1, cos_lat1, sin_lon1, cos_lon1 = math.sin(lat1), math.cos(lat1), math.sin(lon1), math.cos(lon1)
    sin_lat2, cos_lat2, sin_lon2, cos_lon2 = trig
    cos_delta = cos_lon2 * cos_lon1 + sin_lon2 * sin_lon1
    sin_delta = sin_lon2 * cos_lon1 - cos_lon2 * sin_lon1
    y = np.hypot(cos_lat2 * sin_delta, cos_lat1 * sin_lat2 - sin_lat1 * cos_lat2 * cos_delta)
    x = sin_lat1 * sin_lat2 + cos_lat1 * cos_lat2 * cos_delta
    return EARTH_RADIUS_KM * np.arctan2(y, x)
