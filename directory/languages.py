"""Languages by name: the ISO 639 codes the directory stores, and the names people read and type.

Every language CLDR names (Babel's data: about 650, Duala among them) can be chosen by its name, in the
reader's language or in English; any other ISO 639-3 language (pycountry's table) by its three-letter
code. What is stored is always a code, and always the same one for a language: CLDR's own (two letters
where ISO 639-1 has them, ``fr``; otherwise three, ``dua``), or the ISO 639-3 code CLDR does not know.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import pycountry
from babel import Locale
from flask import has_request_context
from flask_babel import get_locale

from .folding import fold

#: A bare language code: CLDR's variants (``en_GB``, ``zh_Hant``) are not languages of their own here.
_CODE = re.compile(r"[a-z]{2,3}")
#: What separates the languages typed in one field.
_SEPARATORS = re.compile(r"[,;、،]")


@cache
def _cldr(locale: str) -> dict[str, str]:
    """Code -> name of every language CLDR names, in ``locale`` with English filling the gaps."""
    english = Locale("en").languages
    local = Locale.parse(locale).languages
    return {code: local.get(code) or name for code, name in english.items() if _CODE.fullmatch(code)}


def _locale_key(locale: object | None) -> str:
    if locale is None:
        locale = (get_locale() if has_request_context() else None) or "en"
    return str(locale)


def canonical(code: str) -> str | None:
    """The code stored for a language given by an ISO 639 code (``FRA`` -> ``fr``), or None if there is
    no such language."""
    code = code.strip().lower()
    if not _CODE.fullmatch(code):
        return None
    known = _cldr("en")
    if code in known:
        return code
    if len(code) == 2:
        return None  # every ISO 639-1 language is one CLDR names
    found = pycountry.languages.get(alpha_3=code) or pycountry.languages.get(bibliographic=code)
    if found is None:
        return None
    short = getattr(found, "alpha_2", None)
    return short if short in known else found.alpha_3


def is_language(code: str) -> bool:
    """Whether ``code`` is stored as it is: a language's canonical code."""
    return canonical(code) == code


def name(code: str, locale: object | None = None) -> str:
    """A language's name in the reader's language (English where CLDR has no local name; ISO 639-3's
    English name for a language CLDR does not know; the code itself as a last resort)."""
    found = _cldr(_locale_key(locale)).get(code)
    if found:
        return found
    other = pycountry.languages.get(alpha_3=code) if len(code) == 3 else None
    return other.name if other is not None else code


def names(codes: Iterable[str], locale: object | None = None) -> str:
    """Languages by name, separated by commas: what a language field shows for stored codes."""
    return ", ".join(name(code, locale) for code in codes)


@cache
def _by_name(locale: str) -> dict[str, str]:
    """Folded name -> code: English names, then the locale's (which win where the two differ)."""
    found = {fold(text): code for code, text in _cldr("en").items()}
    found.update({fold(text): code for code, text in _cldr(locale).items()})
    return found


def choices(locale: object | None = None) -> list[tuple[str, str]]:
    """(code, name) of every language CLDR names, by name in the reader's language."""
    key = _locale_key(locale)
    return sorted(_cldr(key).items(), key=lambda item: (fold(item[1]), item[0]))


def find(text: str, locale: object | None = None) -> str | None:
    """The code of one language given by its name (in the reader's language or English) or its code."""
    folded = " ".join(fold(text).split())
    if not folded:
        return None
    return _by_name(_locale_key(locale)).get(folded) or canonical(folded)


@dataclass(frozen=True, slots=True)
class Parsed:
    """The languages found in a typed list, and the pieces that name none."""

    codes: list[str]
    unknown: list[str]


def parse(text: str, locale: object | None = None) -> Parsed:
    """Read a list like "French, English, Duala" (names or codes, separated by commas): each language
    once, in the order typed, and every piece that is no language, as typed."""
    codes: list[str] = []
    unknown: list[str] = []
    for piece in _SEPARATORS.split(text or ""):
        piece = " ".join(piece.split())
        if not piece:
            continue
        code = find(piece, locale)
        if code is None:
            if piece not in unknown:
                unknown.append(piece)
        elif code not in codes:
            codes.append(code)
    return Parsed(codes, unknown)
