"""The full-text rules, pinned by one table of cases that both SQLite (FTS5) and PostgreSQL must pass."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from directory.organizations.models import Organization
from directory.search.sync import fts_row, tsvector_literal
from directory.search.text import STOP_WORDS, document_tokens, parse_query

DOCUMENTS = {
    "microfinance": ("Kivu Micro-financing Collective", "We provide micro-financing to women."),
    "yaounde": ("Centre Office", "Our office is in Yaoundé, near the market."),
    "police": ("Badge Partners", "We train police officers to recognise trafficking."),
    "entrepreneur": ("Grassfields School", "An entrepreneurship school for young adults."),
    "fishing": ("Harbour Voices", "Survivors of forced labour in the fishing industry."),
    "business": ("Market Skills", "Business skills for survivors starting small shops."),
    "cooperative": ("Weavers Hub", "A women's cooperative selling woven goods."),
}

# (what a person types, which documents must match: exactly these)
CASES = [
    ("micro-finance", {"microfinance"}),  # hyphen splits words; "finance" ~ "financing"
    ("micro finance", {"microfinance"}),
    ("micro-financing", {"microfinance"}),
    ("Yaounde", {"yaounde"}),  # accents folded
    ("YAOUNDÉ", {"yaounde"}),
    ("training", {"police"}),  # endings stemmed: training ~ train
    ("trained police", {"police"}),
    ("entrepren", {"entrepreneur"}),  # last word is a prefix
    ("busines", {"business"}),  # prefix of the word, even where the stem differs (busi)
    ("fishing industr", {"fishing"}),
    ("survivors", {"fishing", "business"}),
    ("survivor", {"fishing", "business"}),
    ("women's", {"microfinance", "cooperative"}),  # apostrophe: possessive dropped
    ("womens", {"microfinance", "cooperative"}),  # stems agree: womens ~ women
    ('"fishing', {"fishing"}),  # an unbalanced quote is just punctuation
    ('"fishing industry"', {"fishing"}),
    ("fish*", {"fishing"}),  # a star is not syntax; prefix matching is the rule anyway
    ("-fishing", {"fishing"}),  # minus is not NOT
    ("^fishing", {"fishing"}),
    ("fishing OR police", set()),  # OR is a stop word, not an operator: both words are required
    ("fishing AND police", set()),
    ("fishing NOT police", set()),
    ("NEAR(fishing industry)", set()),  # "near" is an ordinary word here
    ("name:fishing", set()),  # no column filters
    ("'; DROP TABLE organization; --", set()),
    ("*", set()),  # no word at all matches nothing
    ("?!", set()),
    ("traffiking", set()),  # misspelt: no fuzzy matching
    ("the fishing industry", {"fishing"}),  # stop words are not required
]


@pytest.fixture
def documents(make_org: Callable[..., Organization]) -> dict[str, str]:
    slugs = {}
    for key, (name, description) in DOCUMENTS.items():
        slugs[make_org(name=name, description=description).slug] = key
    return slugs


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_full_text_case(
    client: FlaskClient, documents: dict[str, str], text: str, expected: set[str]
) -> None:
    response = client.get("/api/v1/organizations", query_string={"q": text, "per_page": 100})
    assert response.status_code == 200, response.json
    found = {documents[r["slug"]] for r in response.json["results"]}
    assert found == expected
    assert response.json["total"] == len(expected)


def test_empty_text_means_no_text_filter(client: FlaskClient, documents: dict[str, str]) -> None:
    response = client.get("/api/v1/organizations", query_string={"q": "   "})
    assert response.json["total"] == len(DOCUMENTS)


def test_a_word_in_the_name_ranks_above_one_in_the_description(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    make_org(name="Coastal Network", description="Support for survivors of fishing fleets.")
    make_org(name="Fishing Fleet Survivors", description="A peer network.")
    results = client.get("/api/v1/organizations", query_string={"q": "fishing"}).json["results"]
    assert [r["name"] for r in results] == ["Fishing Fleet Survivors", "Coastal Network"]


def test_document_tokens_keep_words_and_add_stems() -> None:
    assert document_tokens("Micro-financing for Women's groups") == (
        "micro financing financ for women groups group microfinancing microfinanc"
    )


def test_the_kept_word_tokens_start_again_when_full_and_give_the_same_tokens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each word's tokens are kept per language up to a bound; past it the table starts again, and the
    tokens do not depend on what was kept."""
    from directory.search import text

    texts = [title + " " + body for title, body in DOCUMENTS.values()]
    expected = [document_tokens(t, "en") for t in texts]
    monkeypatch.setattr(text, "_EXPANSIONS_KEPT", 3)
    kept = text._EXPANSIONS["en"]
    kept.clear()
    assert [document_tokens(t, "en") for t in texts] == expected
    assert 0 < len(kept) <= 3
    document_tokens("Les femmes financées", "fr")  # each language keeps its own
    assert "financees" in text._EXPANSIONS["fr"] and "financees" not in kept


def test_query_syntax_is_only_words() -> None:
    query = parse_query('fish" OR name:* NEAR')
    assert query is not None
    # Each word also as joined with its neighbour ("name near" -> "namenear"); "or" is a stop word; the
    # quote, colon and star are not syntax, only separators.
    assert query.groups == (("fish",), ("name", "namenear"), ("near", "namenear"))
    assert query.prefix == "near"
    assert parse_query("...") is None


def test_the_postgresql_document_carries_each_field_with_its_weight() -> None:
    row = fts_row(7, {"name": "Harbour Voices", "summary": "Fishing", "description": "harbour work"})
    assert tsvector_literal(row) == "'harbour':1A,6D 'voices':2A 'voic':3A 'fishing':4B 'fish':5B 'work':7D"


def test_a_word_in_the_name_and_in_a_rank_tie_is_ordered_by_name(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    """Both databases order equal scores the same way, so their pages are the same."""
    make_org(name="Beta Fishers", description="Fishing.")
    make_org(name="Alpha Fishers", description="Fishing.")
    results = client.get("/api/v1/organizations", query_string={"q": "fishers"}).json["results"]
    assert [r["name"] for r in results] == ["Alpha Fishers", "Beta Fishers"]


def test_stop_words_are_dropped_except_the_last_word() -> None:
    query = parse_query("training for the")
    assert query is not None
    assert query.groups == (("training", "train"), ("the",))
    assert query.prefix == "the"
    assert "for" in STOP_WORDS
