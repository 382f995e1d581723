"""Look-ups in the offline gazetteer file: places by name, country codes, and "did you mean" suggestions.

Read-only, one SQLite connection per thread; the file is built (:mod:`.build`) on the first look-up if
it is missing. Imports and profile edits ask for the same few thousand city and country points again
and again, so those answers are kept in a bounded least-recently-used cache (``functools.lru_cache``).
"""

from __future__ import annotations

import difflib
import sqlite3
import threading
from collections.abc import Iterator
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from .build import build_gazetteer, normalize_name
from .geometry import Point, ResolvedPlace

#: City and country points kept per process (each answer is a few small objects).
POINT_CACHE_SIZE = 50_000


class Gazetteer:
    """Read-only look-ups in the gazetteer file; one connection per thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        # Keyed by the folded name and the upper-case code, so "Douala, cm" and "douala, CM" are one
        # entry; functools' cache is thread-safe and costs a fraction of a look-up.
        self._city_points = lru_cache(maxsize=POINT_CACHE_SIZE)(self._city_point)
        self._country_points = lru_cache(maxsize=1024)(self._country_point)

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

    def preload(self) -> None:
        """Read what every process's first look-ups read (the country names: a scan of the file, several
        ms), then close this thread's connection. A server's master calls it before forking its
        workers: they share what was read, and each opens a connection of its own (a SQLite connection
        must not cross a fork)."""
        self._country_names  # noqa: B018 (read and kept)
        self.close()

    def close(self) -> None:
        """Close this thread's connection, if it has one (the next look-up opens another)."""
        con = getattr(self._local, "con", None)
        if con is not None:
            del self._local.con
            con.close()

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

    def country_point(self, country_code: str) -> Point | None:
        """The country's representative point: the population-weighted centre of its cities."""
        return self._country_points(country_code.upper())

    def _country_point(self, country_code: str) -> Point | None:
        for row in self._rows(
            "SELECT latitude, longitude FROM place WHERE kind = 'country' AND country_code = ?",
            (country_code,),
        ):
            if row["latitude"] is not None:
                return Point(row["latitude"], row["longitude"])
        return None

    def city_point(self, city: str, country_code: str) -> Point | None:
        """The gazetteer point of the most populous city of that name in that country."""
        return self._city_points(normalize_name(city), country_code.upper())

    def _city_point(self, norm: str, country_code: str) -> Point | None:
        # find(city, country_code=..., kinds=("city",), limit=1)'s point, kept by key when the file was
        # built (an import asks this for every row).
        rows = self._rows(
            "SELECT latitude, longitude FROM city_point WHERE country_code = ? AND norm = ?",
            (country_code, norm),
        )
        found = next(rows, None)
        return Point(found[0], found[1]) if found else None

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
        sql += " ORDER BY p.kind = 'country' DESC, p.population DESC, p.id LIMIT ?"
        params.append(limit)
        return [self._resolved(row) for row in self._rows(sql, tuple(params))]

    def _resolved(self, row: sqlite3.Row) -> ResolvedPlace:
        point = Point(row["latitude"], row["longitude"])
        if row["kind"] == "country":
            return ResolvedPlace(row["name"], point)
        return ResolvedPlace(f"{row['name']}, {self.country_name(row['country_code'])}", point)

    @cached_property
    def _country_names(self) -> dict[str, str]:
        return {
            row["country_code"]: row["name"]
            for row in self._rows("SELECT country_code, name FROM place WHERE kind='country'", ())
        }

    def country_name(self, country_code: str) -> str:
        """The gazetteer's English name of a country (the code itself when unknown)."""
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
