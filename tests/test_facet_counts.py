"""Facet counting in the search index: every way of counting gives what counting by hand gives."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from directory.search.index import Dimension, DocumentValues, Matches


@settings(max_examples=120, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.integers(1, 300),
    values=st.integers(1, 90),  # up to 64 values a field keeps bitsets; above, it scans entries
    per_document=st.integers(0, 4),
    share=st.sampled_from([0.0, 0.01, 0.05, 0.5, 1.0]),
    stored=st.booleans(),
)
def test_counts_equal_counting_by_hand(
    seed: int, size: int, values: int, per_document: int, share: float, stored: bool
) -> None:
    rng = np.random.default_rng(seed)
    docs, labels = [], []
    for doc in range(size):
        for value in rng.choice(values, size=min(per_document, values), replace=False):
            docs.append(doc)
            labels.append(f"v{value}")
    dimension = Dimension.build(np.array(docs, dtype=np.int64), labels, size)
    if stored:
        dimension.store_per_document()
    mask = rng.random(size) < share
    expected = Counter(label for doc, label in zip(docs, labels, strict=True) if mask[doc])
    assert dimension.counts(mask) == dict(expected)
    matches = Matches(mask)
    assert dimension.counts(matches) == dict(expected)
    assert dimension.counts(matches) == dict(expected)  # its positions or bits, found once, kept


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.integers(1, 200),
    fields=st.lists(st.tuples(st.integers(1, 80), st.integers(0, 3)), min_size=1, max_size=5),
    share=st.sampled_from([0.0, 0.02, 0.2, 1.0]),
)
def test_every_dimension_counted_together_is_each_counted_alone(
    seed: int, size: int, fields: list[tuple[int, int]], share: float
) -> None:
    """DocumentValues (all dimensions' values per document in one table) counts what each does."""
    rng = np.random.default_rng(seed)
    dimensions = {}
    for n, (values, per_document) in enumerate(fields):
        docs, labels = [], []
        for doc in range(size):
            for value in rng.choice(values, size=min(per_document, values), replace=False):
                docs.append(doc)
                labels.append(f"f{n}-v{value}")
        dimensions[f"field{n}"] = Dimension.build(np.array(docs, dtype=np.int64), labels, size)
        dimensions[f"field{n}"].store_per_document()
    together = DocumentValues.build(dimensions, size)
    matches = Matches(rng.random(size) < share)
    some = dict(list(dimensions.items())[::2])  # the dimensions without a filter of their own
    assert together.counts(matches, some) == {name: dim.counts(matches.mask) for name, dim in some.items()}
