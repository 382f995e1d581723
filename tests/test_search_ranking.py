"""Relevance: BM25F as defined, the same order on every database, and top-k that never differs from
scoring everything.

* A small reference implementation, written plainly from the definition in ``directory/search/scoring.py``
  (Robertson and Zaragoza's BM25F), scores a corpus of listings made through the app; the API's order
  must be the reference's (highest score first, names among equal scores). The test runs on SQLite and on
  PostgreSQL, so both databases give the reference order.
* The top-k ranking (threshold algorithm over impact-ordered postings) is checked against scoring every
  match, on random postings with many ties, random masks and random depths.
* A PostgreSQL ``tsvector`` and the SQLite full-text row of the same document count the same.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.extensions import db
from directory.organizations.models import Organization
from directory.search import postings
from directory.search.backends import tsvector_counts
from directory.search.postings import Entries, ResolvedQuery, TextIndex
from directory.search.scoring import field_counts
from directory.search.sync import load_rows, tsvector_literal
from directory.search.text import parse_query
from tests.conftest import ON_POSTGRESQL

FIELDS = ("name", "summary", "description", "leadership_narrative")
WEIGHTS = {"name": 10.0, "summary": 4.0, "description": 1.0, "leadership_narrative": 2.0}
K1, B = 1.2, 0.75


def reference_scores(
    query_groups: list[list[str]], documents: dict[int, list[Counter[str]]]
) -> dict[int, float]:
    """BM25F from its definition: per token, the field frequencies divided by the field's relative length,
    weighted and summed, saturated by K1 and multiplied by the idf; per group of alternative tokens the
    best one counts; the groups add up."""
    n = len(documents)
    average = [sum(sum(doc[f].values()) for doc in documents.values()) / n or 1.0 for f in range(len(FIELDS))]

    def df(token: str) -> int:
        return sum(1 for doc in documents.values() if any(doc[f][token] for f in range(len(FIELDS))))

    scores = {}
    for org_id, doc in documents.items():
        total = 0.0
        for group in query_groups:
            best = 0.0
            for token in group:
                tf = sum(
                    WEIGHTS[name] * doc[f][token] / (1 - B + B * sum(doc[f].values()) / average[f])
                    for f, name in enumerate(FIELDS)
                )
                if tf:
                    idf = math.log(1 + (n - df(token) + 0.5) / (df(token) + 0.5))
                    best = max(best, idf * tf * (K1 + 1) / (K1 + tf))
            total += best
        scores[org_id] = total
    return scores


@pytest.fixture
def corpus(make_org: Callable[..., Organization]) -> dict[int, Organization]:
    texts = [
        (
            "Harbour Fishers Union",
            "Fishers who left forced labour at sea.",
            "Boats, nets and fishing rights.",
        ),
        ("Fishing Futures", "Training for fishing crews.", "We train crews. Fishing fishing fishing."),
        ("Seaside Savings Circle", "Micro-finance for fishers' families.", "Savings groups and loans."),
        ("Garment Workers Voice", "Policy advocacy for garment workers.", "Labour inspections, fishing too."),
        ("Domestic Workers Network", "Peer support for domestic workers.", "Peer mentors and legal aid."),
        ("Loans and Looms", "Small loans for weavers.", "Micro finance; savings; looms."),
        ("Anchor House", "Peer support and shelter referrals.", "A long description " * 30 + "fishing."),
        ("Net Menders", "Fishing net repair cooperative.", "Nets."),
    ]
    made = {}
    for name, summary, description in texts:
        org = make_org(name=name, summary=summary, description=description, country_code="TH", city="")
        made[org.id] = org
    return made


def _stored_documents(org_ids: list[int]) -> dict[int, list[Counter[str]]]:
    """Each listing's tokens per field, as search stores them (the word rules are tested elsewhere)."""
    rows = load_rows(db.session.connection(), org_ids)
    return {row["rowid"]: [Counter(row[f].split()) for f in FIELDS] for row in rows}


@pytest.mark.parametrize(
    "q", ["fishing", "fishing crews", "peer support", "micro-finance savings", "fish", "nets"]
)
def test_the_api_ranks_as_the_reference_bm25f(
    client: FlaskClient, corpus: dict[int, Organization], q: str
) -> None:
    answer = client.get("/api/v1/organizations", query_string={"q": q, "per_page": 100}).json
    got = [r["name"] for r in answer["results"]]
    by_name = {org.name: org_id for org_id, org in corpus.items()}
    query = parse_query(q, "en")
    assert query is not None
    documents = _stored_documents(list(corpus))
    scores = reference_scores([list(g) for g in query.groups], documents)
    # The same listings match (the prefix of the last word also matches, scoring nothing).
    assert answer["total"] == len(got) and got, q
    expected = sorted(got, key=lambda name: (-round(scores[by_name[name]], 5), name.casefold()))
    assert got == expected, {name: round(scores[by_name[name]], 4) for name in got}


# -- top-k against scoring everything -------------------------------------------------------------------


def _random_index(rng: np.random.Generator, size: int, vocabulary: int) -> TextIndex:
    """Postings with many equal impacts: few distinct frequencies and lengths."""
    tokens, counts, docs, fields = [], [], [], []
    for doc in range(size):
        for f in range(len(FIELDS)):
            for t in rng.choice(vocabulary, size=int(rng.integers(0, 4)), replace=False):
                tokens.append(f"w{t}")
                counts.append(int(rng.integers(1, 3)))
                docs.append(doc)
                fields.append(f)
    entries = Entries(tokens, np.array(counts, np.int32), np.array(docs, np.int32), np.array(fields, np.int8))
    return TextIndex.build(entries, rng.permutation(size).astype(np.int32))


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.integers(1, 400),
    groups=st.lists(st.lists(st.integers(0, 11), min_size=1, max_size=3), min_size=1, max_size=3),
    prefix=st.booleans(),
    keep=st.floats(0.05, 1.0),
    k=st.integers(1, 60),
)
def test_top_k_equals_scoring_every_match(
    seed: int, size: int, groups: list[list[int]], prefix: bool, keep: float, k: int
) -> None:
    rng = np.random.default_rng(seed)
    index = _random_index(rng, size, 12)
    query = index.resolve([[f"w{t}" for t in g] for g in groups], "w1" if prefix else "")
    mask = index.match(query) & (rng.random(size) < keep)
    expected = index.ranked(query, np.flatnonzero(mask))[:k]
    old = postings._DIRECT_SCORING
    postings._DIRECT_SCORING = 0  # read the tops of the lists, however few the matches
    try:
        got = index.top(query, mask, k)
    finally:
        postings._DIRECT_SCORING = old
    assert got.tolist() == expected.tolist()
    assert index.top(query, mask, k).tolist() == expected.tolist()  # the direct way agrees too


def test_a_document_is_scored_by_the_best_token_of_each_group() -> None:
    entries = Entries(
        ["micro", "microfinanc", "loan"],
        np.array([1, 1, 2], np.int32),
        np.array([0, 0, 1], np.int32),
        np.array([2, 2, 2], np.int8),
    )
    index = TextIndex.build(entries, np.arange(2, dtype=np.int32))
    both = index.resolve([["micro", "microfinanc"]], "")
    one = index.resolve([["microfinanc"]], "")
    position = np.array([0])
    assert index.scores(both, position)[0] == pytest.approx(index.scores(one, position)[0])
    nothing = ResolvedQuery(((),), (0, 0))
    assert index.scores(nothing, position)[0] == 0


# -- both databases count a document the same ------------------------------------------------------------


def _row(repeat: int) -> dict[str, Any]:
    return {
        "rowid": 1,
        "name": "harbour fishers",
        "summary": "fishers " * 3,
        "description": ("net " * repeat) + "fishers boat",
        "leadership_narrative": "fishers " * 2 + "boat",
    }


@pytest.mark.parametrize("repeat", [3, 300, 17_000])
def test_the_tsvector_counts_as_the_scorer_counts_the_plain_tokens(app: Flask, repeat: int) -> None:
    """A word's 256-position limit and the last position (16,383) apply alike: the counting rule reads
    the plain tokens as PostgreSQL keeps the tsvector made from them."""
    row = _row(repeat)
    plain = field_counts([row[f].split() for f in FIELDS])
    if ON_POSTGRESQL:
        stored = db.session.scalar(
            db.text("SELECT CAST(CAST(:v AS tsvector) AS text)"), {"v": tsvector_literal(row)}
        )
        assert tsvector_counts(stored) == plain
    assert plain[2]["net"] == min(repeat, 256)
    assert sum(plain[f]["fishers"] for f in range(4)) >= 5
