"""The word rules of full-text search, shared by every backend.

Both the indexed documents and the queries are turned into plain tokens here, in Python, so that
SQLite (FTS5) and PostgreSQL index and match exactly the same tokens:

* text is folded (case, accents: "Yaoundé" -> "yaounde") and split into words at anything that is not a
  letter or digit, so hyphens and apostrophes only separate words ("micro-finance" -> micro, finance);
* each word is indexed as itself and, when different, as its English Snowball stem (PyStemmer; the
  algorithm PostgreSQL's ``english`` configuration uses), so "micro-financing" is indexed as
  ``micro financing financ``;
* a query keeps the stems of its words, drops English stop words except the last word, and matches the
  last word either by its stem or as a prefix of an indexed word (search as you type: "entrepren");
* the text a person types is never passed to a search engine as syntax: each token is quoted.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from ..folding import fold

_WORD = re.compile(r"[^\W_]+")
_POSSESSIVE = re.compile(r"['’]s\b", re.IGNORECASE)

# The Snowball English stop-word list (as PostgreSQL's english.stop).
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her
    hers herself it its itself they them their theirs themselves what which who whom this that these those
    am is are was were be been being have has had having do does did doing a an the and but if or because
    as until while of at by for with about against between into through during before after above below to
    from up down in out on off over under again further then once here there when where why how all any
    both each few more most other some such no nor not only own same so than too very s t can will just
    don should now""".split()
)

# A PyStemmer object is not thread-safe (threaded servers would corrupt memory): one per thread.
_local = threading.local()


def _stemmer() -> Stemmer.Stemmer:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


def words(text: str) -> list[str]:
    """The folded words of ``text``; possessive 's is dropped, hyphens and apostrophes split words."""
    return _WORD.findall(fold(_POSSESSIVE.sub("", text)))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The English Snowball stem of a folded word."""
    return _stemmer().stemWord(word)


def document_tokens(text: str) -> str:
    """The space-separated tokens to index for ``text``: each word, then its stem when it differs."""
    out: list[str] = []
    for word in words(text):
        out.append(word)
        if word not in STOP_WORDS:
            stemmed = stem(word)
            if stemmed != word:
                out.append(stemmed)
    return " ".join(out)


@dataclass(frozen=True, slots=True)
class TextQuery:
    """A parsed full-text query: every ``required`` stem, and the last word as stem or prefix."""

    required: tuple[str, ...]
    last_stem: str
    last_prefix: str

    def fts5(self) -> str:
        """The FTS5 MATCH expression; every token is a quoted string, never syntax."""
        parts = [f'"{token}"' for token in self.required]
        parts.append(f'("{self.last_stem}" OR "{self.last_prefix}"*)')
        return " AND ".join(parts)

    def tsquery(self) -> str:
        """The same query as a PostgreSQL ``tsquery``: quoted lexemes, the last as stem or prefix."""
        parts = [f"'{token}'" for token in self.required]
        parts.append(f"('{self.last_stem}' | '{self.last_prefix}':*)")
        return " & ".join(parts)


def parse_query(text: str) -> TextQuery | None:
    """Turn what a person typed into a TextQuery; None when it holds no word at all."""
    found = words(text)
    if not found:
        return None
    *head, last = found
    # Tokens only hold letters and digits (see _WORD), so quoting them is always safe.
    required = tuple(dict.fromkeys(stem(w) for w in head if w not in STOP_WORDS))
    return TextQuery(required=required, last_stem=stem(last), last_prefix=last)
