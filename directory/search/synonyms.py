"""Vocabulary terms named in a search query, in any of the interface languages.

A query word (or a run of words) that names a vocabulary term selects the organizations tagged with it:
"microfinanzas", "microfinança", "microfinance" and "micro-finance" all find the ``micro-finance`` focus,
and the text that uses any of the term's one-word names ("microfinance", "microcrédito").
Each organization's terms are indexed as one token per term (:func:`term_token`, see :mod:`.sync`), and
:func:`.text.parse_query` adds that token as an alternative of the words that name it.

The names of a term are its label in every language of ``LANGUAGES`` (from the catalogs, as the pages
show them), its slug, and the extra words of ``directory/data/search_synonyms.json``; each is folded and
written without spaces or hyphens ("Micro-finance" -> ``microfinance``), and known by that and by its
stems in each stemmer's language, so a plural or a singular names it too. The table is built once per
process and set of languages; a lookup is a dictionary access.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

from flask_babel import force_locale

from .. import vocab
from .text import STEMMERS, stem, words

_EXTRA = Path(__file__).resolve().parent.parent / "data" / "search_synonyms.json"
_NOT_ALNUM = re.compile(r"[^a-z0-9]")

_tables: dict[tuple[str, ...], dict[str, frozenset[str]]] = {}
_lock = threading.Lock()


@lru_cache(maxsize=4096)  # the vocabularies hold a few hundred terms; every indexed listing asks
def term_token(taxonomy: str, code: str) -> str:
    """The token that stands for one vocabulary term in the full-text index: ``termfocusmicrofinance``."""
    return "term" + _NOT_ALNUM.sub("", f"{taxonomy}{code}".lower())


def _key(text: str) -> str:
    return "".join(words(text))


#: A stem shorter than this names nothing: stemmers cut short words of other languages down to common
#: syllables (French turns both "logement" and the name "Logan" into "log").
MIN_STEM = 4


def _stems(joined: str) -> list[str]:
    """A joined-up name's stems in each stemmer's language (in :data:`STEMMERS` order), long enough to
    stand for it."""
    found = (stem(joined, language) for language in STEMMERS)
    return list(dict.fromkeys(s for s in found if len(s) >= MIN_STEM))


def _keys(text: str) -> set[str]:
    """A name joined up, and its stem in each stemmer's language."""
    joined = _key(text)
    if not joined:
        return set()
    return {joined, *_stems(joined)}


def extra_synonyms() -> dict[str, list[str]]:
    """The hand-written extra names per ``taxonomy:slug`` (directory/data/search_synonyms.json)."""
    raw = json.loads(_EXTRA.read_text(encoding="utf-8"))
    return {key: list(names) for key, names in raw.items() if not key.startswith("_")}


def build_table(languages: Iterable[str]) -> dict[str, frozenset[str]]:
    """Every name of every term (see the module docstring) -> the tokens of the terms it names."""
    found: dict[str, set[str]] = {}
    names: dict[tuple[str, str], set[str]] = {}
    for language in languages:
        with force_locale(language):
            for taxonomy, terms in vocab.TAXONOMIES.items():
                for code, label in terms.items():
                    names.setdefault((taxonomy, code), {code}).add(str(label))
    for key, extra in extra_synonyms().items():
        taxonomy, code = key.split(":", 1)
        if code not in vocab.TAXONOMIES.get(taxonomy, {}):
            raise ValueError(f"{_EXTRA.name}: unknown term {key}")
        names.setdefault((taxonomy, code), {code}).update(extra)
    for (taxonomy, code), labels in names.items():
        # The term's token, and its names as single words (as written in a profile's text, where a
        # hyphenated name is indexed joined up too): "microfinanzas" finds text that says "microfinance".
        selects = {term_token(taxonomy, code), *(_key(label) for label in labels if " " not in label.strip())}
        for label in labels:
            for key in _keys(label):
                found.setdefault(key, set()).update(selects)
    return {key: frozenset(tokens) for key, tokens in found.items()}


def term_lookup(languages: Iterable[str]) -> Callable[[str], frozenset[str]]:
    """For :func:`.text.parse_query`: the term tokens that a joined-up run of query words names.

    Needs an application context the first time for a set of languages (labels are translated then).
    """
    wanted = tuple(languages)
    table = _tables.get(wanted)
    if table is None:
        with _lock:
            table = _tables.get(wanted)
            if table is None:
                table = _tables[wanted] = build_table(wanted)
    empty: frozenset[str] = frozenset()

    def lookup(joined: str) -> frozenset[str]:
        named = table.get(joined)
        if named is not None:
            return named
        for key in _stems(joined):
            named = table.get(key)
            if named is not None:
                return named
        return empty

    return lookup
