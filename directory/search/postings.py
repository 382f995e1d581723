"""The full-text index in memory: term postings with precomputed BM25F impacts, and top-k ranking.

Every indexed token has a *postings list*: the public documents (positions, see :mod:`.index`) that hold
it, in position order, each with its *impact*: the token's whole BM25F contribution to that document's
score, worked out once when the index is built (:mod:`.scoring`). So

* which documents match a query is a union (the words of a group) and an intersection (the groups) of
  postings lists: exact, whatever the database;
* a document's score is the sum over the query's groups of the best impact among the group's tokens
  (a word matched only as the prefix of a longer word adds nothing, as in Lucene's prefix queries);
* the best ``k`` documents are found without scoring every match: each postings list is also kept in
  order of impact, and the threshold algorithm (Fagin, Lotem and Naor) reads the top of every list,
  scores only the documents met there, and stops as soon as no document further down could still
  reach the ``k``-th score. When the matches are few, scoring them all is cheaper and is what it does.

The vocabulary is one sorted byte string with offsets (looked up by bisection), and everything else is
numpy arrays, so the whole index is a handful of flat buffers.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import scoring

#: With at most this many matches (times the query's tokens), score them all instead of reading the
#: tops of the postings lists.
_DIRECT_SCORING = 4096


class Vocabulary(Sequence[bytes]):
    """The indexed tokens, sorted by their UTF-8 bytes (the order of their code points), as one blob."""

    def __init__(self, blob: bytes, offsets: np.ndarray) -> None:
        self.blob = blob
        self.offsets = offsets  # int64, len(tokens) + 1

    @classmethod
    def from_tokens(cls, tokens: list[bytes]) -> Vocabulary:
        """From tokens already sorted."""
        lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
        offsets = np.zeros(len(tokens) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return cls(b"".join(tokens), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i):  # type: ignore[override]  (bisect only reads single items)
        return self.blob[self.offsets[i] : self.offsets[i + 1]]

    def find(self, token: str) -> int:
        """The id of ``token``, or -1 when no document holds it."""
        key = token.encode()
        i = bisect.bisect_left(self, key)
        return i if i < len(self) and self[i] == key else -1

    def prefixed(self, prefix: str) -> tuple[int, int]:
        """The ids ``[start, end)`` of the tokens that start with ``prefix`` (sorted, so contiguous)."""
        key = prefix.encode()
        # 0xFF never occurs in UTF-8: every token starting with the prefix sorts before prefix + 0xFF.
        return bisect.bisect_left(self, key), bisect.bisect_left(self, key + b"\xff")


@dataclass
class Entries:
    """Token frequencies of many documents, flat: ``counts[i]`` occurrences of ``tokens[i]`` in field
    ``fields[i]`` (an index into :data:`.scoring.FIELDS`) of document ``docs[i]``. A (token, field,
    document) may come in several entries; their counts add up."""

    tokens: list[str]
    counts: np.ndarray  # int32
    docs: np.ndarray  # int32
    fields: np.ndarray  # int8

    @classmethod
    def concatenate(cls, parts: list[Entries]) -> Entries:
        return cls(
            [t for part in parts for t in part.tokens],
            np.concatenate([p.counts for p in parts] or [np.zeros(0, dtype=np.int32)]),
            np.concatenate([p.docs for p in parts] or [np.zeros(0, dtype=np.int32)]),
            np.concatenate([p.fields for p in parts] or [np.zeros(0, dtype=np.int8)]),
        )


@dataclass(frozen=True)
class ResolvedQuery:
    """A text query in token ids: each group's tokens, and the token range of the last word's prefix."""

    groups: tuple[tuple[int, ...], ...]
    prefix: tuple[int, int]


@dataclass
class TextIndex:
    """Postings of every token over ``size`` documents; token ``t``'s are ``[offsets[t], offsets[t+1])``."""

    size: int
    vocabulary: Vocabulary
    offsets: np.ndarray  # int64, one more than the tokens
    docs: np.ndarray  # int32, document of each posting, ascending within a token
    impacts: np.ndarray  # float32, impact of each posting
    by_impact: np.ndarray  # int32 or int64, each token's postings (absolute indices), best first
    top_impacts: np.ndarray  # float32, the impacts in by_impact's order (descending within a token)
    tiebreak: np.ndarray  # per document: among equal scores, the lower comes first
    documents: int  # the collection size the idf was computed over
    averages: np.ndarray  # float64 per field: the average field length the scores were normalised by

    # -- building ------------------------------------------------------------------------------------

    @classmethod
    def build(cls, entries: Entries, tiebreak: np.ndarray, base: TextIndex | None = None) -> TextIndex:
        """From every document's token frequencies per field (see :class:`Entries`); ``tiebreak``
        orders documents of equal score (the name order), one value per document.

        With ``base``, these documents are scored as members of base's collection (its size, average
        field lengths and document frequencies), so scores from both compare.
        """
        size = len(tiebreak)
        if not entries.tokens:
            return cls.empty(tiebreak, base)
        tokens = entries.tokens
        lengths = np.zeros((len(scoring.FIELDS), size), dtype=np.float64)
        np.add.at(lengths, (entries.fields, entries.docs), entries.counts)
        averages = scoring.average_lengths(lengths) if base is None else base.averages
        doc, field = entries.docs, entries.fields
        tf = entries.counts.astype(np.float64)
        distinct = sorted(set(tokens), key=str.encode)
        token_id = {t: i for i, t in enumerate(distinct)}
        ordered = [t.encode() for t in distinct]
        del distinct
        tok = np.fromiter(map(token_id.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        del token_id
        # One row per (token, document): the fields' weighted, length-normalised frequencies added up.
        weighted = tf * scoring.field_factors(lengths, averages)[field, doc]
        key = tok * size + doc
        order = np.argsort(key, kind="stable")
        key, weighted = key[order], weighted[order]
        starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
        pair_key = key[starts]
        pair_tok = pair_key // size
        pair_doc = (pair_key % size).astype(np.int32)
        combined = np.add.reduceat(weighted, starts)
        df = np.bincount(pair_tok, minlength=len(ordered))
        documents, collection_df = size, df
        if base is not None:
            known = np.array([base.document_frequency(t.decode()) for t in ordered], dtype=np.int64)
            documents, collection_df = base.documents, np.where(known > 0, known, df)
        idf = scoring.idf(collection_df, documents)
        impacts = scoring.impact(combined, idf[pair_tok]).astype(np.float32)
        offsets = np.zeros(len(ordered) + 1, dtype=np.int64)
        np.cumsum(df, out=offsets[1:])
        by_impact = np.lexsort((tiebreak[pair_doc], -impacts, pair_tok))
        index_type = np.int32 if len(pair_doc) < 2**31 else np.int64
        return cls(
            size=size,
            vocabulary=Vocabulary.from_tokens(ordered),
            offsets=offsets,
            docs=pair_doc,
            impacts=impacts,
            by_impact=by_impact.astype(index_type),
            top_impacts=impacts[by_impact],
            tiebreak=tiebreak,
            documents=documents,
            averages=averages,
        )

    @classmethod
    def empty(cls, tiebreak: np.ndarray, base: TextIndex | None = None) -> TextIndex:
        return cls(
            size=len(tiebreak),
            vocabulary=Vocabulary(b"", np.zeros(1, dtype=np.int64)),
            offsets=np.zeros(1, dtype=np.int64),
            docs=np.zeros(0, dtype=np.int32),
            impacts=np.zeros(0, dtype=np.float32),
            by_impact=np.zeros(0, dtype=np.int32),
            top_impacts=np.zeros(0, dtype=np.float32),
            tiebreak=tiebreak,
            documents=base.documents if base is not None else len(tiebreak),
            averages=base.averages if base is not None else np.ones(len(scoring.FIELDS)),
        )

    def document_frequency(self, token: str) -> int:
        """How many documents hold ``token``."""
        t = self.vocabulary.find(token)
        return int(self.offsets[t + 1] - self.offsets[t]) if t >= 0 else 0

    # -- matching ------------------------------------------------------------------------------------

    def resolve(self, groups: Sequence[Sequence[str]], prefix: str) -> ResolvedQuery:
        """The query's tokens as ids (tokens no document holds are left out)."""
        found = tuple(
            tuple(dict.fromkeys(i for i in map(self.vocabulary.find, group) if i >= 0)) for group in groups
        )
        return ResolvedQuery(found, self.vocabulary.prefixed(prefix) if prefix else (0, 0))

    def _postings(self, token: int) -> np.ndarray:
        return self.docs[self.offsets[token] : self.offsets[token + 1]]

    def match(self, query: ResolvedQuery) -> np.ndarray:
        """A mask over the documents: those holding a token of every group (or, for the last group,
        a token starting with the prefix)."""
        mask = None
        last = len(query.groups) - 1
        for g, group in enumerate(query.groups):
            found = np.zeros(self.size, dtype=bool)
            for token in group:
                found[self._postings(token)] = True
            if g == last and query.prefix[1] > query.prefix[0]:
                start, end = query.prefix
                found[self.docs[self.offsets[start] : self.offsets[end]]] = True
            if mask is None:
                mask = found
            else:
                mask &= found
        return mask if mask is not None else np.ones(self.size, dtype=bool)

    # -- scoring -------------------------------------------------------------------------------------

    def scores(self, query: ResolvedQuery, positions: np.ndarray) -> np.ndarray:
        """The BM25F score of each of ``positions`` (ascending) for ``query``."""
        total = np.zeros(len(positions), dtype=np.float64)
        for group in query.groups:
            best = np.zeros(len(positions), dtype=np.float32)
            for token in group:  # every token in the vocabulary has at least one posting
                start = self.offsets[token]
                postings = self._postings(token)
                at = np.minimum(np.searchsorted(postings, positions), len(postings) - 1)
                held = postings[at] == positions
                np.maximum(best, np.where(held, self.impacts[start + at], 0), out=best)
            total += best
        return total

    def top(self, query: ResolvedQuery, mask: np.ndarray, k: int) -> np.ndarray:
        """The ``k`` best documents in ``mask`` for ``query``: highest score first, ties in
        ``tiebreak`` order. Documents outside ``mask`` are never returned."""
        if k <= 0:
            return np.zeros(0, dtype=np.int64)
        tokens = [t for group in query.groups for t in group]
        if not tokens:  # only a prefix matched: every match scores 0
            return self._by_tiebreak(mask, np.zeros(0, dtype=np.int64), k)
        matches = int(np.count_nonzero(mask))
        if len(tokens) == 1 and query.prefix[0] == query.prefix[1]:
            # One word, no prefix: its list, in impact order then tiebreak order, is the answer's order.
            return self._first_in(tokens[0], mask, k)
        depth = max(64, 2 * k)
        while matches > max(_DIRECT_SCORING, depth * len(tokens)):
            thresholds = {t: self._impact_at(t, depth) for t in tokens}
            # Read each list down to its threshold, ties included: every document not read holds each
            # of its tokens with an impact below that token's threshold.
            seen = np.unique(np.concatenate([self._down_to(t, thresholds[t]) for t in tokens]))
            candidates = seen[mask[seen]].astype(np.int64)
            scored = self.scores(query, candidates)
            ceiling = sum(max((thresholds[t] for t in group), default=0.0) for group in query.groups)
            order = np.lexsort((self.tiebreak[candidates], -scored))
            if ceiling > 0.0 and len(candidates) >= k and scored[order[k - 1]] >= ceiling:
                return candidates[order[:k]]  # nothing unread scores as much as the k-th
            if ceiling <= 0.0:  # every list read to its end: the unread matches all score 0
                ranked = candidates[order][scored[order] > 0][:k]
                return np.concatenate([ranked, self._by_tiebreak(mask, ranked, k - len(ranked))])
            depth *= 4
        return self._best(query, np.flatnonzero(mask), k)

    def _impact_at(self, token: int, depth: int) -> float:
        """The impact of a token's ``depth``-th best posting (0 past its end)."""
        at = self.offsets[token] + depth
        return float(self.top_impacts[at]) if at < self.offsets[token + 1] else 0.0

    def _down_to(self, token: int, threshold: float) -> np.ndarray:
        """The documents holding ``token`` with an impact of at least ``threshold``."""
        start, end = self.offsets[token], self.offsets[token + 1]
        count = end - start
        if threshold > 0.0:  # impacts are descending: their negatives ascend
            count = int(np.searchsorted(-self.top_impacts[start:end], -threshold, side="right"))
        return self.docs[self.by_impact[start : start + count]]

    def _first_in(self, token: int, mask: np.ndarray, k: int) -> np.ndarray:
        """The first ``k`` documents of a token's impact-ordered list that ``mask`` keeps."""
        start, end = self.offsets[token], self.offsets[token + 1]
        found: list[np.ndarray] = []
        wanted, chunk = k, max(64, 4 * k)
        while start < end and wanted > 0:
            docs = self.docs[self.by_impact[start : min(start + chunk, end)]]
            kept = docs[mask[docs]][:wanted]
            found.append(kept)
            wanted -= len(kept)
            start += chunk
            chunk *= 4
        return np.concatenate(found).astype(np.int64) if found else np.zeros(0, dtype=np.int64)

    def _by_tiebreak(self, mask: np.ndarray, taken: np.ndarray, k: int) -> np.ndarray:
        """The first ``k`` documents of ``mask`` not in ``taken``, in tiebreak order."""
        if k <= 0:
            return np.zeros(0, dtype=np.int64)
        rest = mask.copy()
        rest[taken] = False
        positions = np.flatnonzero(rest)
        if k < len(positions):
            positions = positions[np.argpartition(self.tiebreak[positions], k - 1)[:k]]
        return positions[np.argsort(self.tiebreak[positions], kind="stable")]

    def _best(self, query: ResolvedQuery, positions: np.ndarray, k: int) -> np.ndarray:
        """The ``k`` best of ``positions`` by scoring every one (for few matches)."""
        scored = self.scores(query, positions)
        if k < len(positions):
            kth = np.partition(-scored, k - 1)[k - 1]
            keep = -scored <= kth
            positions, scored = positions[keep], scored[keep]
        order = np.lexsort((self.tiebreak[positions], -scored))[:k]
        return positions[order]

    def ranked(self, query: ResolvedQuery, positions: np.ndarray) -> np.ndarray:
        """Every one of ``positions`` in score order (for the map and exports, which list them all)."""
        scored = self.scores(query, positions)
        return positions[np.lexsort((self.tiebreak[positions], -scored))]
