"""The geocoders the app can be configured with, all speaking geopy's ``geocode(query, exactly_one)``.

``offline`` (the default) answers from the gazetteer; ``nominatim`` is geopy's Nominatim client behind
geopy's rate limiter (it needs the internet and a user agent). :func:`make_geocoder` picks one by the
``GEOCODER`` setting.
"""

from __future__ import annotations

from typing import Any, Protocol

from geopy.location import Location

from .gazetteer import Gazetteer


class GeocoderProtocol(Protocol):
    """What the app needs of a geocoder: geopy's ``geocode`` signature."""

    def geocode(self, query: str, exactly_one: bool = True) -> Any: ...


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
