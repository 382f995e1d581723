"""Folding text for comparison: case and accents, shared by place names and full-text search."""

from __future__ import annotations

import re
import unicodedata

# The combining diacritical-mark blocks: what "accents" are in Latin, Greek and Cyrillic text. Marks of
# other scripts (Thai vowel signs, Devanagari matras) are parts of letters there and are kept.
_ACCENTS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """Lower-case ``text`` and strip its accents: "Yaoundé" -> "yaounde"."""
    if text.isascii():
        return text.lower()
    return _ACCENTS.sub("", unicodedata.normalize("NFKD", text)).casefold()
