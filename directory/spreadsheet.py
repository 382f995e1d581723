"""Cells that are safe to open in a spreadsheet: a pure rule, shared by every CSV the directory writes.

Spreadsheets run a cell as a formula when its text starts with ``=``, ``+``, ``-`` or ``@`` (and some
strip a leading tab or carriage return first), so a listing's name could otherwise call a function or
another program on the reader's computer (CSV injection). Such a cell is written with an apostrophe in
front, which spreadsheets read as "this is text" (OWASP's advice). ``+`` and ``-`` are left alone when
the whole cell is a number or a phone number: coordinates such as ``-4.05`` and phones such as
``+237 6 99 12 34 56`` stay intact (no letter, no bracket of a function call, nothing a formula could
run).
"""

from __future__ import annotations

import re
from typing import Any

#: What a spreadsheet never reads as text at the start of a cell.
ALWAYS_NEUTRALISED = ("=", "@", "\t", "\r")
#: A sign, digits, an optional fraction and exponent: "-4.05", "+12", "-1e-3".
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
#: An international phone number: "+", then digits with spaces, dots, hyphens, slashes or parentheses.
_PHONE = re.compile(r"\+\d[\d ./()-]*\d")
#: The prefix that makes a spreadsheet read the rest of the cell as text.
TEXT_PREFIX = "'"


def is_number_or_phone(text: str) -> bool:
    """True when the whole of ``text`` is a number or an international phone number."""
    return bool(_NUMBER.fullmatch(text) or _PHONE.fullmatch(text))


def safe_cell(text: str) -> str:
    """``text`` as a spreadsheet will show it and never run it: an apostrophe in front of a would-be
    formula, everything else unchanged."""
    if not text:
        return text
    if text.startswith(ALWAYS_NEUTRALISED):
        return TEXT_PREFIX + text
    if text[0] in "+-" and not is_number_or_phone(text):
        return TEXT_PREFIX + text
    return text


def cell(value: Any) -> str:
    """Any value as a CSV cell: empty for None, ``true``/``false``, numbers as Python writes them, text
    made safe (:func:`safe_cell`; a number or phone number is left as it is)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return safe_cell(str(value))
