"""URL converters registered on the app's URL map, so every route gets them without asking.

- ``int`` (``/requests/<int:request_id>``) takes ASCII digits up to the largest id the database holds;
  a bigger number cannot name a record, so it is a 404 like any unknown id (SQLite cannot even compare
  a number of 2^63 or more).
- The default converter (``/organizations/<slug>``, tokens) refuses a segment holding a control
  character, which no slug or token has: a 404 too (PostgreSQL cannot compare text holding NUL).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter, Map, UnicodeConverter, ValidationError

from .db import MAX_ID
from .textrules import Kind, is_allowed


class IdConverter(IntegerConverter):
    """A whole number from 0 to ``max`` (MAX_ID unless the route says otherwise), in ASCII digits."""

    regex = r"[0-9]+"

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        if len(value) > len(str(self.max)):  # int() of thousands of digits is slow, then refused
            raise ValidationError()
        return super().to_python(value)  # type: ignore[no-any-return]


class TextConverter(UnicodeConverter):
    """A path segment without control characters."""

    def to_python(self, value: str) -> str:
        if not is_allowed(value, Kind.SINGLE_LINE):
            raise ValidationError()
        return value


def register(app: Flask) -> None:
    """Use these converters for every route added from now on."""
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["default"] = app.url_map.converters["string"] = TextConverter
