"""Collecting what is wrong with some input, field by field.

A service checks everything before it raises, so the person sees every problem at once; the view puts
each message at its field and in the error summary (:func:`directory.formerrors.show_errors`).
"""

from __future__ import annotations


class FieldErrors(dict[str, list[str]]):
    """Field name -> its messages, in the order they were found (empty: nothing is wrong)."""

    def add(self, field_name: str, message: object) -> None:
        """Note a problem with ``field_name``; a lazy message is rendered now, in the language in force."""
        self.setdefault(field_name, []).append(str(message))
