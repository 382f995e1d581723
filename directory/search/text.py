"""The word rules of full-text search, shared by every backend.

Both the indexed documents and the queries are turned into plain tokens here, in Python, so that
SQLite (FTS5) and PostgreSQL index and match exactly the same tokens:

* text is folded (case, accents: "Yaoundé" -> "yaounde") and split into words at anything that is not a
  letter or digit, so hyphens and apostrophes separate words ("micro-finance" -> micro, finance); a word
  written with hyphens is indexed joined up too ("microfinance"), so the two spellings find each other;
* each word is indexed as itself and, when different, as its Snowball stem (PyStemmer) in the language
  the text is written in: French, Spanish and Portuguese text with those languages' stemmers, any other
  with the English one (the algorithm PostgreSQL's ``english`` configuration uses), so English
  "micro-financing" is indexed as ``micro financing financ microfinancing microfinanc``;
* a query word matches itself, its English stem or its stem in the reader's language, or the joined
  spelling it makes with a neighbouring word ("micro finance" finds "microfinance"), or a vocabulary term
  it names in any language (see :mod:`.synonyms`); English stop words are dropped except the last word,
  which also matches as a prefix of an indexed word (search as you type: "entrepren");
* the text a person types is never handed to a database as query syntax: the tokens are looked up in
  the in-memory index (:mod:`.postings`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from ..folding import fold

_WORD = re.compile(r"[^\W_]+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")  # the same words in folded ASCII text, found twice as fast
# Words joined by hyphens (ASCII, Unicode hyphen, non-breaking hyphen): "micro-finance".
_COMPOUND = re.compile(r"[^\W_]+(?:[-\u2010\u2011][^\W_]+)+")
_POSSESSIVE = re.compile(r"['’]s\b", re.IGNORECASE)
_HYPHENS = ("-", "\u2010", "\u2011")

#: Languages with their own stemmer (ISO 639-1 -> Snowball name); text in any other is stemmed as English.
STEMMERS = {"en": "english", "fr": "french", "es": "spanish", "pt": "portuguese"}
#: The most words of a query that together may name one vocabulary term ("law enforcement training").
MAX_TERM_WORDS = 6

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


@lru_cache(maxsize=256)
def stemming_language(language: str | None) -> str:
    """The stemmer used for text in ``language`` (an ISO 639 code, maybe with a region): its own, else
    English."""
    base = (language or "en").split("-")[0].split("_")[0].lower()
    return base if base in STEMMERS else "en"


def _stemmer(language: str) -> Stemmer.Stemmer:
    stemmers = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    stemmer = stemmers.get(language)
    if stemmer is None:
        stemmer = stemmers[language] = Stemmer.Stemmer(STEMMERS[language])
    return stemmer


def words(text: str) -> list[str]:
    """The folded words of ``text``; possessive 's is dropped, hyphens and apostrophes split words."""
    return _words(fold(_POSSESSIVE.sub("", text)))


def _words(folded: str) -> list[str]:
    return (_ASCII_WORD if folded.isascii() else _WORD).findall(folded)


@lru_cache(maxsize=65536)
def stem(word: str, language: str = "en") -> str:
    """The Snowball stem of a folded word in one of :data:`STEMMERS`' languages (English by default)."""
    return _stemmer(language).stemWord(word)


class _Expansions(dict[str, str]):
    """The tokens one word of a document stands for in one language ("financing financ"), worked out
    once per word: a text's words are mostly words seen before. At most :data:`_EXPANSIONS_KEPT` are
    kept; then the table starts again. A dict, not ``functools.lru_cache``: a hit is a plain dict look-up,
    about half the cost of the cache's, on every word of every document an import writes."""

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language = language

    def __missing__(self, word: str) -> str:
        if len(self) >= _EXPANSIONS_KEPT:
            self.clear()
        stemmed = word if word in STOP_WORDS else stem(word, self.language)
        tokens = self[word] = word if stemmed == word else f"{word} {stemmed}"
        return tokens


_EXPANSIONS_KEPT = 200_000
_EXPANSIONS = {language: _Expansions(language) for language in STEMMERS}


def document_tokens(text: str, language: str | None = "en") -> str:
    """The space-separated tokens to index for ``text`` written in ``language``: each word, then its
    stem when it differs; then each hyphenated word joined up, and its stem."""
    lang = stemming_language(language)
    if "'" in text or "’" in text:
        text = _POSSESSIVE.sub("", text)
    folded = fold(text)
    expand = _EXPANSIONS[lang]
    tokens = " ".join([expand[word] for word in _words(folded)])
    if not any(hyphen in folded for hyphen in _HYPHENS):
        return tokens
    out = [tokens]
    for compound in _COMPOUND.findall(folded):
        joined = "".join(_words(compound))
        out.append(joined)
        stemmed = stem(joined, lang)
        if stemmed != joined:
            out.append(stemmed)
    return " ".join(out)


@dataclass(frozen=True, slots=True)
class TextQuery:
    """A parsed full-text query: every group must match, through any one of its tokens; the last group
    also matches through ``prefix`` (the last word, as the start of an indexed word)."""

    groups: tuple[tuple[str, ...], ...]
    prefix: str


def _forms(word: str, language: str) -> list[str]:
    """A query word, its English stem and its stem in the reader's language."""
    return [word, stem(word), stem(word, language)]


def parse_query(
    text: str, language: str | None = "en", terms: Callable[[str], frozenset[str]] | None = None
) -> TextQuery | None:
    """Turn what a person typed into a TextQuery; None when it holds no word at all.

    ``language`` is the reader's; ``terms`` gives the vocabulary-term tokens that a run of words, joined
    (``"mentalhealth"``), names (see :mod:`.synonyms`).
    """
    found = words(text)
    if not found:
        return None
    lang = stemming_language(language)
    # Tokens only hold letters and digits (see _WORD), so quoting them is always safe.
    options: list[dict[str, None]] = [dict.fromkeys(_forms(w, lang)) for w in found]
    for i in range(len(found) - 1):  # "micro finance" also as "microfinance"
        if found[i] in STOP_WORDS or found[i + 1] in STOP_WORDS:
            continue
        joined = dict.fromkeys(_forms(found[i] + found[i + 1], lang))
        options[i].update(joined)
        options[i + 1].update(joined)
    if terms is not None:
        for i in range(len(found)):
            for end in range(i + 1, min(len(found), i + MAX_TERM_WORDS) + 1):
                named = terms("".join(found[i:end]))
                for k in range(i, end):
                    options[k].update(dict.fromkeys(sorted(named)))
    last = len(found) - 1
    final = tuple(options[last])
    head = [tuple(options[i]) for i, w in enumerate(found[:last]) if w not in STOP_WORDS]
    return TextQuery(groups=(*(g for g in dict.fromkeys(head) if g != final), final), prefix=found[-1])
