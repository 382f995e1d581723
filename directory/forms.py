"""The base of every form: each text field is checked against the character rules of ``textrules``, and
every form shown is known to the page, so its errors can be summed up at the top (``invalid_fields``).

A ``TextAreaField`` is multi-line text, a ``NameField`` a name, and every other string field (text, email,
URL, hidden) single-line; a refused character is an error at its field. Passwords are left alone: they
are never stored, shown or sent, and refusing a character at sign-in could lock someone out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import g, has_request_context
from flask_wtf import FlaskForm
from wtforms import Field, PasswordField, StringField, TextAreaField
from wtforms.csrf.core import CSRFTokenField

from .textrules import Kind, problem


class NameField(StringField):
    """The name of a person, an organization or an agency: one line, and no text-direction controls."""


def kind_of(field: Field) -> Kind | None:
    """Which rule a field's text follows; None for fields that hold no free text (or a password)."""
    if isinstance(field, PasswordField | CSRFTokenField):
        return None
    if isinstance(field, NameField):
        return Kind.NAME
    if isinstance(field, TextAreaField):
        return Kind.MULTI_LINE
    if isinstance(field, StringField):
        return Kind.SINGLE_LINE
    return None


class Form(FlaskForm):
    """A FlaskForm whose text fields are checked against the character rules without being told.

    The check runs after the fields' own validators, and whatever they decided: ``Optional()`` stops
    validation on blank text, and CR/LF alone is blank.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if has_request_context():
            g.setdefault("forms_shown", []).append(self)

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        for field in self:
            kind = kind_of(field)
            message = problem(field.data, kind) if kind and isinstance(field.data, str) else None
            if message is not None:
                field.errors = [*field.errors, message]
                valid = False
        return valid


def invalid_fields() -> list[tuple[str, str, str]]:
    """(field id, label, message) for every field with an error on the forms of this request, in order:
    what the error summary at the top of the page links to. Hidden fields and the CSRF token are left out
    (the person cannot change them; a refused token is a 400 page of its own)."""
    if not has_request_context():
        return []
    found = []
    for form in g.get("forms_shown", []):
        for field in form:
            if field.errors and field.type not in ("HiddenField", "CSRFTokenField"):
                found.append((field.id, str(field.label.text), " ".join(str(e) for e in field.errors)))
    return found + g.get("fields_noted", [])


def note_invalid(field_id: str, label: object, message: object) -> None:
    """Put an error of a field that is not part of a WTForms form (a hand-written one) in the summary."""
    g.setdefault("fields_noted", []).append((field_id, str(label), str(message)))
