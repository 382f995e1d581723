"""The relevance rule, BM25F, and what it reads of a document: the same on every database.

A document has four fields (name, summary, description, leadership narrative), each with a weight. A
token's frequency in each field is divided by that field's length relative to the field's average
length (``B`` says how much), weighted and added up across the fields; the sum saturates (``K1``) and is
multiplied by the token's inverse document frequency (Robertson and Zaragoza, "The Probabilistic
Relevance Framework: BM25 and Beyond", 2009). The result, a token's *impact* on one document, is stored
in the postings (:mod:`.postings`); a query adds up one impact per group of alternative words.

The frequencies are counted as PostgreSQL keeps a ``tsvector`` (see :func:`field_counts`), so a listing
stored in either database counts exactly the same, and ranks the same.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from .fields import TEXT_FIELDS

#: The fields, in the order their positions run (as the full-text tables and tsvectors keep them).
FIELDS = TEXT_FIELDS
#: How much a word in each field counts: the name most, then the summary, the narrative, the description.
WEIGHTS = {"name": 10.0, "summary": 4.0, "description": 1.0, "leadership_narrative": 2.0}
#: Saturation of the weighted frequency, and the strength of the length normalisation.
K1 = 1.2
B = 0.75
#: What a ``tsvector`` keeps: positions up to this one (later ones are stored as this one) ...
MAX_POSITION = 16383
#: ... and at most this many positions per word.
MAX_POSITIONS_PER_TOKEN = 256


def field_counts(fields: Sequence[Sequence[str]]) -> list[Counter[str]]:
    """Each field's token frequencies, counted as a PostgreSQL ``tsvector`` of the document keeps them.

    Positions run on across the fields in :data:`FIELDS` order; a word keeps at most its first
    :data:`MAX_POSITIONS_PER_TOKEN` positions; positions from :data:`MAX_POSITION` on all become that
    one, where a word's first occurrence stands for the rest (:func:`.sync.tsvector_literal` writes them
    so).
    """
    if sum(len(tokens) for tokens in fields) <= min(MAX_POSITION, MAX_POSITIONS_PER_TOKEN):
        return [Counter(tokens) for tokens in fields]
    kept: Counter[str] = Counter()
    at_last: set[str] = set()
    counts: list[Counter[str]] = [Counter() for _ in fields]
    position = 0
    for f, tokens in enumerate(fields):
        for token in tokens:
            position += 1
            if position >= MAX_POSITION:
                if token in at_last:
                    continue
                at_last.add(token)
            if kept[token] < MAX_POSITIONS_PER_TOKEN:
                kept[token] += 1
                counts[f][token] += 1
    return counts


def average_lengths(lengths: np.ndarray) -> np.ndarray:
    """Each field's average length over the documents (1 for a field no document has): ``lengths`` is
    ``[field, document]``."""
    average = lengths.mean(axis=1) if lengths.shape[1] else np.ones(len(FIELDS))
    average[average == 0] = 1.0
    return average


def field_factors(lengths: np.ndarray, averages: np.ndarray) -> np.ndarray:
    """Per field and document, what one occurrence of a word there is worth before saturation:
    the field's weight over its length relative to the field's average."""
    weights = np.array([WEIGHTS[f] for f in FIELDS], dtype=np.float64)[:, None]
    return weights / (1.0 - B + B * lengths / averages[:, None])


def idf(document_frequency: np.ndarray, documents: int) -> np.ndarray:
    """The inverse document frequency of tokens held by ``document_frequency`` of ``documents``."""
    df = np.asarray(document_frequency, dtype=np.float64)
    return np.log1p((documents - df + 0.5) / (df + 0.5))


def impact(weighted_frequency: np.ndarray, inverse_frequency: np.ndarray) -> np.ndarray:
    """A token's contribution to a document's score, from its weighted frequency there and its idf."""
    return inverse_frequency * weighted_frequency * (K1 + 1.0) / (K1 + weighted_frequency)
