"""Which characters text may hold: the one rule for forms, query parameters, the JSON API and the import.

- Every Unicode control character (category Cc: NUL, ESC, DEL, the C1 controls, ...) is refused, except
  TAB, LF and CR in multi-line text. PostgreSQL cannot store NUL at all, and the others are invisible.
- Single-line text (and names) is one line: no TAB, CR or LF, nor the line and paragraph separators
  U+2028 and U+2029, which Python and mail headers also treat as line breaks.
- Names (of people, organizations and agencies) also refuse the bidirectional embeddings, overrides and
  isolates (U+202A–U+202E, U+2066–U+2069), which make a name display as something it is not.

Pure functions of the text, with no database and no request; the messages are translated.
"""

from __future__ import annotations

import enum
import re

from flask_babel import gettext as _


class Kind(enum.Enum):
    """What a piece of text is, which decides the characters it may hold."""

    SINGLE_LINE = "single-line"
    MULTI_LINE = "multi-line"
    NAME = "name"


#: Category Cc: C0 controls, DEL and the C1 controls.
_CONTROLS = "\x00-\x1f\x7f-\x9f"
_SEPARATORS = "\u2028\u2029"
#: Bidirectional embeddings and overrides (U+202A–U+202E) and isolates (U+2066–U+2069).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: What breaks a line: the characters str.splitlines() splits on.
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")

_REFUSED = {
    Kind.SINGLE_LINE: re.compile(f"[{_CONTROLS}{_SEPARATORS}]"),
    Kind.MULTI_LINE: re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"),
    Kind.NAME: re.compile(f"[{_CONTROLS}{_SEPARATORS}{''.join(sorted(BIDI_CONTROLS))}]"),
}


def refused_character(text: str, kind: Kind) -> str | None:
    """The first character ``text`` may not hold as ``kind``; None when every character is allowed."""
    found = _REFUSED[kind].search(text)
    return found.group() if found else None


def is_allowed(text: str, kind: Kind) -> bool:
    return refused_character(text, kind) is None


def problem(text: str, kind: Kind) -> str | None:
    """Why ``text`` cannot be taken as ``kind``, in plain words; None when it can."""
    found = refused_character(text, kind)
    if found is None:
        return None
    code = f"U+{ord(found):04X}"
    if found in LINE_BREAKS or found == "\t":
        return _("This must be on one line: remove the line break or tab.")
    if found in BIDI_CONTROLS:
        return _("Remove the invisible text-direction character (%(code)s) from the name.", code=code)
    return _("Remove the invisible control character (%(code)s).", code=code)


def one_line(text: str) -> str:
    """``text`` made safe for one line (a mail subject from stored text): every character a single-line
    field refuses becomes a space, and runs of spaces become one."""
    return " ".join(_REFUSED[Kind.SINGLE_LINE].sub(" ", text).split())
