"""Randomized search test: totals and every facet count against plain SQL, on random searches.

One corpus per module (a seeded ``random.Random``, not hypothesis): about a hundred listings in four
continents, with vocabulary terms, languages, service areas, text in English, French and Spanish (shared
words, rare words, hyphenated words, translations), every location precision, and listings that are not
public (draft, pending, changes requested, rejected, suspended) which must never be counted. After a
first search has built the engine's state, a few listings change (text, terms, place, status, one
deleted), so what the engine answers must follow changes too.

Hypothesis then draws searches (any filters with 1-3 values each, some that no listing has; text from the
corpus's words, prefixes, stop words and words that match nothing; a place from the corpus with a
radius; a sort, a page, a page size and the reader's language) and sends each to the JSON API. The
reference is independent of the engine: which listings the text matches is worked out in Python from
the word rules (:func:`directory.search.text.document_tokens` over the fields search indexes, and
:func:`directory.search.text.parse_query`), which are near a place from the public points with geopy's
great-circle distance, and then plain SQL counts the total and, with ``GROUP BY``, every facet over the
public listings, each facet over the matches of every *other* filter.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from geopy.distance import great_circle
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from directory import create_app, vocab
from directory.extensions import db
from directory.geo import Point, get_geo
from directory.organizations.models import ListingStatus, LocationPrecision, Organization
from directory.organizations.services import (
    OrganizationInput,
    apply_input,
    create_organization,
    validate_input,
)
from directory.search.synonyms import term_lookup, term_token
from directory.search.text import TextQuery, document_tokens, parse_query
from tests.conftest import Databases, IsolatedClient

#: The corpus's seed and the number of random searches: fixed in CI; set these variables to explore more
#: (``RANDOM_SEARCH_EXAMPLES=2000``, another ``RANDOM_SEARCH_SEED``) while changing the search core.
SEED = int(os.environ.get("RANDOM_SEARCH_SEED", "20261201"))
EXAMPLES = int(os.environ.get("RANDOM_SEARCH_EXAMPLES", "60"))

# --- The corpus -------------------------------------------------------------------------------------

#: (city, country, the language most listings there write in). Four continents, several cities per
#: country, so places, countries, regions and sub-regions all group several listings.
CITIES = [
    ("Douala", "CM", "fr"),
    ("Yaoundé", "CM", "fr"),
    ("Bafoussam", "CM", "fr"),
    ("Lagos", "NG", "en"),
    ("Abuja", "NG", "en"),
    ("Accra", "GH", "en"),
    ("Kumasi", "GH", "en"),
    ("Nairobi", "KE", "en"),
    ("Mombasa", "KE", "en"),
    ("Kampala", "UG", "en"),
    ("Dakar", "SN", "fr"),
    ("Abidjan", "CI", "fr"),
    ("Doha", "QA", "en"),
    ("Beirut", "LB", "fr"),
    ("Amman", "JO", "en"),
    ("Phnom Penh", "KH", "en"),
    ("Sihanoukville", "KH", "en"),
    ("Bangkok", "TH", "en"),
    ("Chiang Mai", "TH", "en"),
    ("Manila", "PH", "en"),
    ("Cebu City", "PH", "en"),
    ("Mumbai", "IN", "en"),
    ("Kathmandu", "NP", "en"),
    ("Guadalajara", "MX", "es"),
    ("Tijuana", "MX", "es"),
    ("Bogotá", "CO", "es"),
    ("Medellín", "CO", "es"),
    ("Lima", "PE", "es"),
    ("Toronto", "CA", "en"),
    ("Montréal", "CA", "fr"),
    ("Houston", "US", "en"),
    ("Paris", "FR", "fr"),
    ("Lyon", "FR", "fr"),
    ("Madrid", "ES", "es"),
    ("Barcelona", "ES", "es"),
    ("Bucharest", "RO", "en"),
    ("Chisinau", "MD", "en"),
    ("London", "GB", "en"),
    ("Nowhereville", "CM", "fr"),  # not in the gazetteer: a city-precision point falls back to Cameroon's
    ("", "BE", "fr"),  # no city at all
]

#: Words each language's texts draw from (some shared by many listings, some by few).
POOL = {
    "en": (
        "survivors women's girls men youth workers community support shelter advocacy training legal "
        "counselling market business savings loans mentors leadership fishing domestic farm factory "
        "recovery trauma healing employment skills housing education outreach hotline police courts "
        "migrants families children safety dignity justice voices network partners research"
    ).split(),
    "fr": (
        "survivantes femmes filles jeunes travailleuses communauté soutien hébergement accompagnement "
        "formation juridique écoute marché épargne microcrédit insertion emploi santé mentale dignité "
        "justice réseau partenaires enfants familles migrantes sécurité guérison métiers coopérative"
    ).split(),
    "es": (
        "sobrevivientes mujeres niñas jóvenes trabajadoras comunidad apoyo albergue acompañamiento "
        "capacitación asesoría jurídica mercado ahorro microfinanzas empleo salud mental dignidad justicia "
        "red socias niños familias migrantes seguridad sanación oficios cooperativa liderazgo"
    ).split(),
}
#: Words written with hyphens (indexed split and joined up: "micro-finance" also as "microfinance").
HYPHENATED = [
    "micro-finance",
    "survivor-led",
    "peer-led",
    "anti-trafficking",
    "e-learning",
    "co-operative",
    "post-traumatic",
    "court-ordered",
    "auto-emploi",
    "micro-entreprises",
]
#: Words that appear in one or two listings only.
RARE = [
    "batik",
    "beekeeping",
    "origami",
    "quilting",
    "pottery",
    "kayak",
    "entrepreneurship",
    "entrepreneurs",
    "cacao",
    "tejido",
    "apiculture",
    "cordonnerie",
]
#: A word only listings that are not public use: it must never find anything.
HIDDEN_WORD = "zanzibarite"
#: A word added by an edit after the engine first built its state.
EDIT_WORD = "lighthouse"
NAME_HEADS = {
    "en": ["Voices of", "Circle of", "Bridges for", "Hope for", "Hands of", "Rise with"],
    "fr": ["Voix des", "Cercle des", "Maison des", "Réseau des", "Espoir des"],
    "es": ["Voces de", "Círculo de", "Casa de", "Red de", "Manos de"],
}
NAME_TAILS = {
    "en": ["Survivors", "Women", "Workers", "Sisters", "Youth", "Families"],
    "fr": ["Survivantes", "Femmes", "Travailleuses", "Sœurs", "Jeunes"],
    "es": ["Sobrevivientes", "Mujeres", "Trabajadoras", "Hermanas", "Jóvenes"],
}
#: Languages listings work in ("fi" only in listings that are not public).
WORKING_LANGUAGES = ["en", "fr", "es", "pt", "ar", "sw", "km", "th", "yo", "tl", "hi", "ne", "wo"]
TERM_FIELDS = {
    "focus": "focus",
    "models": "model",
    "trafficking": "trafficking",
    "services": "service",
    "engagements": "engagement",
}
#: A focus only listings that are not public have.
HIDDEN_FOCUS = "housing"
PRECISIONS = [
    (LocationPrecision.EXACT, 3),
    (LocationPrecision.CITY, 4),
    (LocationPrecision.COUNTRY, 2),
    (LocationPrecision.HIDDEN, 2),
]
NOT_PUBLIC = [
    ListingStatus.DRAFT,
    ListingStatus.PENDING,
    ListingStatus.CHANGES_REQUESTED,
    ListingStatus.REJECTED,
    ListingStatus.SUSPENDED,
]


@dataclass(frozen=True)
class Listing:
    """One listing of the corpus: what to create, with which status, and the offset of its true point
    from its city's (for exact precision)."""

    fields: dict[str, Any]
    status: ListingStatus
    offset: tuple[float, float] | None = None


def _sentence(rng: random.Random, language: str, low: int, high: int, extra: float = 0.0) -> str:
    """Words of ``language`` (with some English ones mixed in), and with probability ``extra`` each a
    hyphenated word and a rare word."""
    words = [
        rng.choice(POOL[language] if rng.random() < 0.85 else POOL["en"])
        for _ in range(rng.randint(low, high))
    ]
    if rng.random() < extra:
        words.insert(rng.randrange(len(words) + 1), rng.choice(HYPHENATED))
    if rng.random() < extra / 3:
        words.insert(rng.randrange(len(words) + 1), rng.choice(RARE))
    if words:
        words[0] = words[0].capitalize()
    return " ".join(words) + ("." if words else "")


def _listing(rng: random.Random, n: int, status: ListingStatus, marked: bool) -> Listing:
    city, country, usual = rng.choice(CITIES)
    language = usual if rng.random() < 0.8 else rng.choice(["en", "fr", "es"])
    precision = rng.choices([p for p, _ in PRECISIONS], [w for _, w in PRECISIONS])[0]
    others = [code for code in ("en", "fr", "es") if code != language]
    focus = [slug for slug in vocab.TAXONOMIES["focus"] if slug != HIDDEN_FOCUS]
    fields: dict[str, Any] = {
        "name": " ".join(
            [rng.choice(NAME_HEADS[language]), rng.choice(NAME_TAILS[language]), city or country, str(n)]
        ),
        "country_code": country,
        "city": city,
        "location_precision": precision,
        "text_language": language,
        "summary": _sentence(rng, language, 4, 12, extra=0.3),
        "description": _sentence(rng, language, 10, 30, extra=0.8),
        "leadership_narrative": _sentence(rng, language, 0, 12, extra=0.2),
        "languages": list(dict.fromkeys([language, *rng.sample(WORKING_LANGUAGES, rng.randint(0, 2))])),
        "serves": []
        if rng.random() < 0.4
        else [country, *rng.sample([c for _, c, _ in CITIES], rng.randint(0, 3))],
    }
    for attr, taxonomy in TERM_FIELDS.items():
        slugs = focus if taxonomy == "focus" else list(vocab.TAXONOMIES[taxonomy])
        fields[attr] = rng.sample(slugs, rng.randint(0, min(3, len(slugs))))
    if rng.random() < 0.35:
        other = rng.choice(others)
        fields["summary_translations"] = {other: _sentence(rng, other, 4, 10, extra=0.3)}
    if rng.random() < 0.2:
        other = rng.choice(others)
        fields["narrative_translations"] = {other: _sentence(rng, other, 3, 10, extra=0.3)}
    if marked:  # what only listings that are never public have
        fields["description"] += f" {HIDDEN_WORD}"
        fields["focus"] = list(dict.fromkeys([*fields["focus"], HIDDEN_FOCUS]))
        fields["languages"].append("fi")
        if rng.random() < 0.3:
            fields.update(country_code="IS", city="Reykjavik", serves=["IS"])
    offset = (
        (rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3)) if precision is LocationPrecision.EXACT else None
    )
    return Listing(fields, status, offset)


def build_corpus(rng: random.Random, public: int = 84, hidden: int = 20) -> list[Listing]:
    """The listings in creation order; the first pending one is approved later (see _change_later), every
    other listing that is not public has the words and values that no public listing has."""
    statuses = [ListingStatus.APPROVED] * public + [NOT_PUBLIC[i % len(NOT_PUBLIC)] for i in range(hidden)]
    rng.shuffle(statuses)
    later = statuses.index(ListingStatus.PENDING)
    return [
        _listing(rng, n, status, marked=status is not ListingStatus.APPROVED and n - 1 != later)
        for n, status in enumerate(statuses, 1)
    ]


CORPUS = build_corpus(random.Random(SEED))

# --- What searches are made of ----------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W_]+(?:-[^\W_]+)*")


def _corpus_words() -> list[str]:
    """Every word (as written: accents, capitals, hyphens) of the corpus's texts, names included."""
    found: dict[str, None] = {}
    for listing in CORPUS:
        f = listing.fields
        texts = [f["name"], f["summary"], f["description"], f["leadership_narrative"]]
        texts += [*f.get("summary_translations", {}).values(), *f.get("narrative_translations", {}).values()]
        for text in texts:
            found.update(dict.fromkeys(_TOKEN.findall(text)))
    found[EDIT_WORD] = None
    return sorted(found)


WORDS = _corpus_words()
#: Each text of the corpus as its words, for queries of words that stand together.
PHRASES = [
    _TOKEN.findall(text)
    for listing in CORPUS
    for text in (listing.fields["name"], listing.fields["summary"], listing.fields["description"])
]
#: Words that match nothing, stop words, and words that name vocabulary terms in some language.
NOTHING = ["xylophone", "quokka", "traffiking"]
STOPS = ["the", "and", "of", "for", "with", "in"]
TERM_NAMES = [
    "microfinance",
    "microfinanzas",
    "mental health",
    "santé mentale",
    "job training",
    "peer support",
]

REGIONS = ["africa", "middle-africa", "western-africa", "eastern-africa", "asia", "western-asia"]
REGIONS += ["south-eastern-asia", "southern-asia", "americas", "south-america", "central-america"]
REGIONS += ["northern-america", "europe", "western-europe", "northern-europe", "eastern-europe"]
REGIONS += ["southern-europe", "oceania", "polynesia"]  # the last two: no listing
COUNTRIES = sorted({country for _, country, _ in CITIES}) + ["IS", "NZ"]  # IS: not public only; NZ: none
CHOICES: dict[str, list[str]] = {
    "region": REGIONS,
    "country": COUNTRIES,
    **{taxonomy: list(vocab.TAXONOMIES[taxonomy]) for taxonomy in TERM_FIELDS.values()},
    "language": [*WORKING_LANGUAGES, "fi", "is"],  # fi: not public only; is: none
    "serves": COUNTRIES,
}
#: Every search filter and facet.
DIMENSIONS = tuple(CHOICES)
#: Places (as people type them) and radii for ``near``.
PLACES = [f"{city}, {country}" for city, country, _ in CITIES if city and city != "Nowhereville"]
PLACES += ["Cameroon", "Thailand", "Colombia", "France", "Kenya", "Iceland"]
RADII = [5, 30, 120, 400, 1000, 2500, 9000]


@st.composite
def _word(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["word"] * 6 + ["prefix"] * 2 + ["stop", "nothing", "term", "hidden"]))
    if kind == "prefix":
        word = draw(st.sampled_from([w for w in WORDS if len(w) >= 5]))
        return word[: draw(st.integers(3, len(word) - 1))]
    if kind == "stop":
        return draw(st.sampled_from(STOPS))
    if kind == "nothing":
        return draw(st.sampled_from(NOTHING))
    if kind == "term":
        return draw(st.sampled_from(TERM_NAMES))
    if kind == "hidden":
        return HIDDEN_WORD
    word = draw(st.sampled_from(WORDS))
    spelling = draw(st.integers(0, 11))
    if spelling == 1:
        return word.upper()
    if spelling == 2:  # a possessive: the 's is dropped
        return f"{word}'s"
    if spelling == 3:  # a hyphenated word joined up, or a word split with a hyphen
        return word.replace("-", "") if "-" in word else f"{word[:2]}-{word[2:]}"
    return word


def _pick(draw: st.DrawFn, choices: list[str], count: int) -> list[str]:
    """``count`` different values of ``choices`` (a permutation's start: never rejected, unlike unique
    lists, which waste examples)."""
    return draw(st.permutations(choices))[:count]


@dataclass(frozen=True)
class Search:
    """One random search, as the arguments sent to the API."""

    filters: dict[str, list[str]] = field(default_factory=dict)
    q: str = ""
    near: str = ""
    radius_km: int = 100
    sort: str | None = None
    page: int = 1
    per_page: int = 20
    lang: str = "en"
    joined: bool = False  # several values of a filter sent as one comma-separated value

    def args(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = [("lang", self.lang)]
        for name, values in self.filters.items():
            out += [(name, ",".join(values))] if self.joined else [(name, v) for v in values]
        if self.q:
            out.append(("q", self.q))
        if self.near:
            out += [("near", self.near), ("radius_km", str(self.radius_km))]
        if self.sort:
            out.append(("sort", self.sort))
        return [*out, ("page", str(self.page)), ("per_page", str(self.per_page))]


@st.composite
def searches(draw: st.DrawFn) -> Search:
    count = draw(st.sampled_from([0, 0, 1, 1, 1, 1, 2, 2, 3]))
    chosen = draw(st.permutations(DIMENSIONS))[:count]
    filters = {name: _pick(draw, CHOICES[name], draw(st.integers(1, 3))) for name in chosen}
    # (Hypothesis draws the first choice more often than the others.)
    kind = draw(st.sampled_from(["phrase", "none", "words", "none", "phrase", "symbols"]))
    q = ""
    if kind == "phrase":  # 1-3 words in a row from one listing's text (which may or may not be public)
        texts = draw(st.sampled_from(PHRASES))
        start = draw(st.integers(0, len(texts) - 1))
        q = " ".join(texts[start : start + draw(st.integers(1, 3))])
    elif kind == "words":
        q = " ".join(draw(st.lists(_word(), min_size=1, max_size=3)))
    elif kind == "symbols":
        q = "?!"  # no word at all: matches nothing
    near = draw(st.sampled_from(PLACES)) if draw(st.integers(0, 2)) != 0 else ""
    sorts = [None, None, "relevance", "name", "updated", *(["distance", "distance"] if near else [])]
    return Search(
        filters=filters,
        q=q,
        near=near,
        radius_km=draw(st.sampled_from(RADII)),
        sort=draw(st.sampled_from(sorts)),
        page=draw(st.sampled_from([1, 1, 1, 2, 3])),
        per_page=draw(st.sampled_from([5, 10, 20])),
        lang=draw(st.sampled_from(["en", "en", "fr", "es"])),
        joined=draw(st.booleans()),
    )


# --- The corpus in a database, and the reference's view of it ----------------------------------------


@dataclass
class World:
    """The module's app, a client, and what the reference knows of each public listing."""

    app: Flask
    client: FlaskClient
    tokens: dict[int, frozenset[str]]  # organization id -> every token search indexes for it
    points: dict[int, Point]  # organization id -> public point (hidden listings have none)
    names: dict[int, str]
    updated: dict[int, datetime]
    ids: dict[str, int]  # slug -> organization id


def _create(listing: Listing) -> Organization:
    fields = dict(listing.fields)
    gazetteer = get_geo().gazetteer
    if listing.offset is not None:
        country = fields["country_code"]
        base = gazetteer.city_point(fields["city"], country) or gazetteer.country_point(country)
        assert base is not None, country
        fields["latitude"] = round(base.latitude + listing.offset[0], 5)
        fields["longitude"] = round(base.longitude + listing.offset[1], 5)
    return create_organization(OrganizationInput(**fields), gazetteer, status=listing.status)


def _change_later(orgs: list[Organization]) -> None:
    """Changes made once the engine has built its state: text, terms and place, status, a deletion."""
    public = [o for o, listing in zip(orgs, CORPUS, strict=True) if listing.status is ListingStatus.APPROVED]
    waiting = [o for o, listing in zip(orgs, CORPUS, strict=True) if listing.status is ListingStatus.PENDING]
    public[0].description += f" A {EDIT_WORD} for micro-finance."
    public[1].status = ListingStatus.SUSPENDED
    waiting[0].status = ListingStatus.APPROVED
    db.session.delete(public[2])
    # Re-saved through the service with new terms, languages and a hidden place.
    index = orgs.index(public[3])
    changed = replace(CORPUS[index], offset=None)
    fields = {
        **changed.fields,
        "focus": ["youth", "mental-health"],
        "languages": ["pt"],
        "location_precision": LocationPrecision.HIDDEN,
        "summary": f"Rebuilt {EDIT_WORD} programme for youth.",
    }
    apply_input(public[3], validate_input(OrganizationInput(**fields)), get_geo().gazetteer)
    db.session.commit()


def _reference_data() -> dict[str, Any]:
    """Each public listing's tokens (what ``search/sync.py`` indexes: name, summary, description and
    leadership narrative in the listing's language, its translations in theirs, one token per term), public
    point, name, last update and slug, read with plain SQL."""
    public = "o.status = 'approved'"
    rows = db.session.execute(
        sa.text(
            "SELECT o.id, o.slug, o.name, o.summary, o.description, o.leadership_narrative, "  # noqa: S608
            "o.text_language, o.updated_at, l.public_latitude, l.public_longitude "
            f"FROM organization o JOIN location l ON l.organization_id = o.id WHERE {public}"
        )
    ).all()
    tokens: dict[int, set[str]] = {}
    for row in rows:
        found = tokens.setdefault(row.id, set())
        for text in (row.name, row.summary, row.description, row.leadership_narrative):
            found.update(document_tokens(text or "", row.text_language).split())
    for org_id, language, summary, narrative in db.session.execute(
        sa.text(
            "SELECT t.organization_id, t.language, t.summary, t.leadership_narrative "  # noqa: S608
            f"FROM organization_text t JOIN organization o ON o.id = t.organization_id WHERE {public}"
        )
    ):
        for text in (summary, narrative):
            tokens[org_id].update(document_tokens(text or "", language).split())
    for org_id, taxonomy, code in db.session.execute(
        sa.text(
            "SELECT ot.organization_id, t.taxonomy, t.code FROM organization_term ot "  # noqa: S608
            "JOIN taxonomy_term t ON t.id = ot.taxonomy_term_id "
            f"JOIN organization o ON o.id = ot.organization_id WHERE {public}"
        )
    ):
        tokens[org_id].add(term_token(taxonomy, code))
    return {
        "tokens": {org_id: frozenset(found) for org_id, found in tokens.items()},
        "points": {
            r.id: Point(r.public_latitude, r.public_longitude) for r in rows if r.public_latitude is not None
        },
        "names": {r.id: r.name for r in rows},
        "updated": {r.id: r.updated_at for r in rows},
        "ids": {r.slug: r.id for r in rows},
    }


@pytest.fixture(scope="module")
def world(databases: Databases, app_config: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder: Path = tmp_path_factory.mktemp("search_random")
    app = create_app(app_config(databases.create(folder), folder))
    app.test_client_class = IsolatedClient
    with app.app_context():
        try:
            with db.session.no_autoflush:  # one flush, so search is kept in step once for all
                orgs = [_create(listing) for listing in CORPUS]
            db.session.commit()
            client = app.test_client(use_cookies=False)
            first = client.get("/api/v1/organizations", query_string={"q": "survivors", "country": "CM"})
            assert first.status_code == 200, first.json
            _change_later(orgs)
            yield World(app=app, client=client, **_reference_data())
        finally:
            db.session.remove()
            db.engine.dispose()


# --- The reference -----------------------------------------------------------------------------------


def text_matches(tokens: frozenset[str], query: TextQuery) -> bool:
    """Every group has one of its tokens in the listing's; the last also matches as a prefix."""
    *head, last = query.groups
    if any(tokens.isdisjoint(group) for group in head):
        return False
    return not tokens.isdisjoint(last) or any(token.startswith(query.prefix) for token in tokens)


@dataclass(frozen=True)
class Expected:
    total: int
    facets: dict[str, dict[str, int]]
    ids: set[int]
    distances: dict[int, float]


def _normalized(name: str, values: list[str]) -> list[str]:
    return [v.upper() for v in values] if name in ("country", "serves") else values


def _filter_sql(name: str, values: list[str], bind: dict[str, Any]) -> str:
    """The SQL condition on ``o`` (organization) and ``l`` (its location) for one filter: any value."""
    marks = []
    for value in values:
        key = f"p{len(bind)}"
        bind[key] = value
        marks.append(f":{key}")
    among = f"IN ({', '.join(marks)})"
    if name == "region":  # a continent or a sub-region
        return f"(l.region {among} OR l.subregion {among})"
    if name == "country":
        return f"l.country_code {among}"
    if name == "language":
        return f"EXISTS (SELECT 1 FROM language g WHERE g.organization_id = o.id AND g.code {among})"  # noqa: S608
    if name == "serves":
        return (
            "EXISTS (SELECT 1 FROM service_area s WHERE s.organization_id = o.id "  # noqa: S608
            f"AND s.country_code {among})"
        )
    taxonomy = f"p{len(bind)}"
    bind[taxonomy] = name
    return (
        "EXISTS (SELECT 1 FROM organization_term ot JOIN taxonomy_term t ON t.id = ot.taxonomy_term_id "  # noqa: S608
        f"WHERE ot.organization_id = o.id AND t.taxonomy = :{taxonomy} AND t.code {among})"
    )


#: What each facet groups by: (the joins it needs, the value), for the facets that are not regions.
_FACET_SQL = {
    "country": ("", "l.country_code"),
    "language": ("JOIN language g ON g.organization_id = o.id", "g.code"),
    "serves": ("JOIN service_area s ON s.organization_id = o.id", "s.country_code"),
}


def _facet_sql(name: str, where: str, bind: dict[str, Any]) -> str:
    source = "FROM organization o JOIN location l ON l.organization_id = o.id"
    if name == "region":  # each listing counts once under its continent and once under its sub-region
        return (
            "SELECT v, COUNT(DISTINCT id) AS n FROM ("  # noqa: S608 (the conditions bind their values)
            f"SELECT o.id AS id, l.region AS v {source} WHERE {where} "
            f"UNION SELECT o.id AS id, l.subregion AS v {source} WHERE {where}) AS found GROUP BY v"
        )
    if name in _FACET_SQL:
        join, value = _FACET_SQL[name]
    else:
        key = f"p{len(bind)}"
        bind[key] = name
        join = (
            "JOIN organization_term ot ON ot.organization_id = o.id "
            "JOIN taxonomy_term tt ON tt.id = ot.taxonomy_term_id"
        )
        value, where = "tt.code", f"{where} AND tt.taxonomy = :{key}"
    return f"SELECT {value} AS v, COUNT(DISTINCT o.id) AS n {source} {join} WHERE {where} GROUP BY {value}"  # noqa: S608


def reference(world: World, search: Search) -> Expected:
    """What the search must answer, worked out without the search engine."""
    base = set(world.tokens)
    if search.q:
        query = parse_query(search.q, search.lang, term_lookup(world.app.config["LANGUAGES"]))
        base = set() if query is None else {i for i in base if text_matches(world.tokens[i], query)}
    distances: dict[int, float] = {}
    if search.near:
        center = get_geo().resolve(search.near).point
        for org_id, point in world.points.items():
            km = great_circle((center.latitude, center.longitude), (point.latitude, point.longitude)).km
            if org_id in base and km <= search.radius_km:
                distances[org_id] = km
        base &= set(distances)
    bind: dict[str, Any] = {}
    conditions = {name: _filter_sql(name, _normalized(name, v), bind) for name, v in search.filters.items()}
    ids = ", ".join(str(i) for i in sorted(base)) or "NULL"
    restrict = f"o.status = 'approved' AND o.id IN ({ids})"

    def where(*leave_out: str) -> str:
        return " AND ".join([restrict, *(c for name, c in conditions.items() if name not in leave_out)])

    select = f"SELECT o.id FROM organization o JOIN location l ON l.organization_id = o.id WHERE {where()}"  # noqa: S608
    matched = {row[0] for row in db.session.execute(sa.text(select), bind)}
    # Every facet's GROUP BY in one statement (one round trip).
    each = [
        f"SELECT '{name}' AS dim, v, n FROM ({_facet_sql(name, where(name), bind)}) AS f{i}"  # noqa: S608
        for i, name in enumerate(DIMENSIONS)
    ]
    facets: dict[str, dict[str, int]] = {name: {} for name in DIMENSIONS}
    for name, value, count in db.session.execute(sa.text(" UNION ALL ".join(each)), bind):
        if count:
            facets[name][str(value)] = int(count)
    return Expected(total=len(matched), facets=facets, ids=matched, distances=distances)


# --- The test ----------------------------------------------------------------------------------------


def _sort_in_force(search: Search) -> str:
    """The sort asked for; else relevance with text, distance near a place, name (relevance without text
    falls back the same way)."""
    if search.sort and (search.sort != "relevance" or search.q):
        return search.sort
    return "relevance" if search.q else "distance" if search.near else "name"


def _check_page(world: World, search: Search, answer: dict[str, Any], expected: Expected) -> None:
    """The page holds matches only, as many as it should, in the order of the sort where it is known."""
    got = [world.ids.get(result["slug"], -1) for result in answer["results"]]
    assert set(got) <= expected.ids, "a result that does not match"
    start = (search.page - 1) * search.per_page
    assert len(got) == max(0, min(search.per_page, expected.total - start))
    sort = answer["sort"]
    if sort == "name":
        order = sorted(expected.ids, key=lambda i: world.names[i].casefold())
        assert got == order[start : start + search.per_page]
    elif sort == "distance":
        order = sorted(expected.ids, key=lambda i: (expected.distances[i], world.names[i].casefold()))
        assert got == order[start : start + search.per_page]
        for result, org_id in zip(answer["results"], got, strict=True):
            assert result["distance_km"] == pytest.approx(expected.distances[org_id], abs=0.051)
    elif sort == "updated":
        times = [world.updated[i] for i in got]
        assert times == sorted(times, reverse=True)


SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(search=searches())
@example(search=Search(q="micro-finance"))
@example(search=Search(q="micro finance", sort="name", per_page=5))
@example(search=Search(q="entrepren", lang="fr"))
@example(search=Search(q=HIDDEN_WORD))
@example(search=Search(q=EDIT_WORD))
@example(search=Search(filters={"focus": [HIDDEN_FOCUS, "youth"], "language": ["fi", "pt"]}))
@example(search=Search(filters={"region": ["africa", "oceania"], "country": ["IS", "CM"]}, joined=True))
@example(search=Search(near="Douala, CM", radius_km=400, filters={"model": ["cooperative"]}))
@example(search=Search(near="Cameroon", radius_km=1000, sort="distance", page=2, per_page=5))
@example(search=Search(q="santé mentale", lang="fr", near="Paris, FR", radius_km=9000))
def test_totals_and_facets_agree_with_plain_sql(world: World, search: Search) -> None:
    response = world.client.get("/api/v1/organizations", query_string=search.args())
    assert response.status_code == 200, response.json
    answer = response.json
    expected = reference(world, search)
    # What the examples met (pytest --hypothesis-show-statistics).
    event("matches: " + ("none" if not expected.total else "1-5" if expected.total <= 5 else "more than 5"))
    event(f"sort: {answer['sort']}")
    event(f"filters: {len(search.filters)}, text: {bool(search.q)}, near: {bool(search.near)}")
    assert answer["total"] == expected.total
    assert answer["sort"] == _sort_in_force(search)
    assert set(answer["facets"]) == set(DIMENSIONS)
    facets = {
        name: {item["value"]: item["count"] for item in items if item["count"]}
        for name, items in answer["facets"].items()
    }
    assert facets == expected.facets
    for name, values in search.filters.items():  # a chosen value is listed, even when it counts none
        shown = {item["value"] for item in answer["facets"][name] if item["selected"]}
        assert shown == set(_normalized(name, values))
    _check_page(world, search, answer, expected)


def test_the_corpus_has_what_the_searches_need(world: World) -> None:
    """The corpus holds what the random searches are meant to meet (so a change to the generator that
    lost one of them would show here), and the reference finds what it should."""
    statuses = {listing.status for listing in CORPUS}
    assert statuses == {ListingStatus.APPROVED, *NOT_PUBLIC}
    precisions = {listing.fields["location_precision"] for listing in CORPUS}
    assert precisions == set(LocationPrecision)
    assert {listing.fields["text_language"] for listing in CORPUS} == {"en", "fr", "es"}
    assert 60 <= len(world.tokens) <= 120
    assert len(world.points) < len(world.tokens)  # hidden listings have no public point
    assert not any(HIDDEN_WORD in tokens for tokens in world.tokens.values())
    assert sum(EDIT_WORD in tokens for tokens in world.tokens.values()) == 2
    assert any("microfinance" in tokens for tokens in world.tokens.values())  # hyphenated, joined up
    everything = reference(world, Search())
    assert everything.total == len(world.tokens)
    assert HIDDEN_FOCUS not in everything.facets["focus"]
    assert "IS" not in everything.facets["country"] and "fi" not in everything.facets["language"]
    assert len(everything.facets["region"]) >= 8
