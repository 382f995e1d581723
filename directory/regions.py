"""Countries and their UN M49 regions, from ``data/m49.json``; names translated through Babel.

A location's region is always derived from its country here, never typed by hand. ``region`` slugs are
continents (``africa``) or sub-regions (``middle-africa``), and a search for a continent includes all of
its sub-regions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from . import languages

#: Translatable names of every region slug in m49.json (a test keeps the two in step).
REGION_NAMES: dict[str, object] = {
    "africa": _l("Africa"),
    "eastern-africa": _l("Eastern Africa"),
    "middle-africa": _l("Middle Africa"),
    "northern-africa": _l("Northern Africa"),
    "southern-africa": _l("Southern Africa"),
    "western-africa": _l("Western Africa"),
    "americas": _l("Americas"),
    "caribbean": _l("Caribbean"),
    "central-america": _l("Central America"),
    "northern-america": _l("Northern America"),
    "south-america": _l("South America"),
    "asia": _l("Asia"),
    "central-asia": _l("Central Asia"),
    "eastern-asia": _l("Eastern Asia"),
    "south-eastern-asia": _l("South-eastern Asia"),
    "southern-asia": _l("Southern Asia"),
    "western-asia": _l("Western Asia"),
    "europe": _l("Europe"),
    "eastern-europe": _l("Eastern Europe"),
    "northern-europe": _l("Northern Europe"),
    "southern-europe": _l("Southern Europe"),
    "western-europe": _l("Western Europe"),
    "oceania": _l("Oceania"),
    "australia-and-new-zealand": _l("Australia and New Zealand"),
    "melanesia": _l("Melanesia"),
    "micronesia": _l("Micronesia"),
    "polynesia": _l("Polynesia"),
    "antarctica": _l("Antarctica"),
}


@dataclass(frozen=True, slots=True)
class CountryRegion:
    """A country's continent and sub-region slugs."""

    region: str
    subregion: str


class UnknownCountryError(ValueError):
    """Not an ISO 3166-1 alpha-2 code that the directory knows."""


@cache
def _data() -> dict:
    with (resources.files("directory") / "data" / "m49.json").open("rb") as handle:
        return json.load(handle)


def country_codes() -> list[str]:
    """Every ISO 3166-1 alpha-2 code the directory knows."""
    return list(_data()["countries"])


def region_of(country_code: str) -> CountryRegion:
    """The M49 continent and sub-region of a country; raises UnknownCountryError."""
    entry = _data()["countries"].get(country_code.upper())
    if entry is None:
        raise UnknownCountryError(country_code)
    return CountryRegion(entry["region"], entry["subregion"])


def is_country(code: str) -> bool:
    return code.upper() in _data()["countries"]


def regions() -> dict[str, list[str]]:
    """Continent slug -> its sub-region slugs, in a stable order."""
    return {slug: list(entry["subregions"]) for slug, entry in _data()["regions"].items()}


def region_slugs() -> set[str]:
    """Every continent and sub-region slug."""
    out = set()
    for slug, subs in regions().items():
        out.add(slug)
        out.update(subs)
    return out


def region_name(slug: str) -> str:
    return str(REGION_NAMES.get(slug, slug))


@cache
def _names(locale: str) -> tuple[dict[str, str], dict[str, str]]:
    """Country and language names in one locale, with English filling the gaps (parsed once)."""
    english = Locale("en")
    loc = Locale.parse(locale)
    return (
        {**english.territories, **loc.territories},
        {**english.languages, **loc.languages},
    )


def _locale_key(locale: str | Locale | None) -> str:
    if locale is None:
        locale = get_locale() or "en"
    return str(locale)


def country_name(code: str, locale: str | Locale | None = None) -> str:
    """A country's name in the reader's language (Babel's CLDR data), falling back to English."""
    return _names(_locale_key(locale))[0].get(code.upper(), code)


def language_name(code: str, locale: str | Locale | None = None) -> str:
    """A language's name (ISO 639 code) in the reader's language (see ``directory.languages``)."""
    return languages.name(code, locale)


def is_language(code: str) -> bool:
    """Whether ``code`` is the code the directory stores for a language."""
    return languages.is_language(code)
