"""The app's geography service: the configured geocoder behind a cache, and the gazetteer beside it.

``Geo.resolve`` turns what a person typed ("Douala", "Yaoundé, Cameroon", "4.05, 9.7") into a named
point or a :class:`PlaceNotFoundError` with suggestions. Answers, "not found" included, are kept in a
bounded least-recently-used cache (``cachetools``, ``GEOCODE_CACHE_SIZE`` entries) keyed by the folded
name, so that a network geocoder is asked once per place. ``init_app`` builds the service from the
configuration and ``get_geo`` returns the current app's.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from cachetools import LRUCache, cached

from .build import default_gazetteer_path, normalize_name
from .gazetteer import Gazetteer
from .geocoders import GeocoderProtocol, make_geocoder
from .geometry import Point, ResolvedPlace, parse_coordinates


class PlaceNotFoundError(LookupError):
    """A place name could not be resolved; ``suggestions`` are names that could be meant."""

    def __init__(self, query: str, suggestions: list[str]) -> None:
        self.query = query
        self.suggestions = suggestions
        super().__init__(query)


class GeocoderUnavailableError(RuntimeError):
    """The configured geocoder could not be reached (only possible with a network geocoder)."""


class Geo:
    """The app's geography service: the configured geocoder, its cache, and the gazetteer."""

    def __init__(self, gazetteer: Gazetteer, geocoder: GeocoderProtocol, cache_size: int) -> None:
        self.gazetteer = gazetteer
        self.geocoder = geocoder
        # cachetools caches are not thread-safe: the lock guards the cache, not the (slow) geocoding,
        # and a geocoder error is not cached.
        answers: LRUCache[str, ResolvedPlace | None] = LRUCache(maxsize=cache_size)
        self._cached_geocode = cached(answers, key=normalize_name, lock=threading.Lock())(self._geocode)

    def resolve(self, query: str) -> ResolvedPlace:
        """A place name or "lat, lon" to a point; raises PlaceNotFoundError with suggestions."""
        point = parse_coordinates(query)
        if point is not None:
            return ResolvedPlace(f"{point.latitude:.4f}, {point.longitude:.4f}", point)
        found = self._cached_geocode(query)
        if found is None:
            raise PlaceNotFoundError(query, self.gazetteer.suggest(query.split(",")[0]))
        return found

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
