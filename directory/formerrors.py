"""Putting errors found by services onto the form fields they belong to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask import flash


def show_errors(form: object, errors: Mapping[str, Sequence[str]]) -> None:
    """Add each message to its field's errors; messages for no field of the form are flashed."""
    for name, messages in errors.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, *messages]
        else:
            for message in messages:
                flash(message, "error")
