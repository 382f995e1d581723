"""The base of every form: each text field is checked against the character rules of ``textrules``.

A ``TextAreaField`` is multi-line text, a ``NameField`` a name, and every other string field (text, email,
URL, hidden) single-line; a refused character is an error at its field. Passwords are left alone: they
are never stored, shown or sent, and refusing a character at sign-in could lock someone out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        for field in self:
            kind = kind_of(field)
            message = problem(field.data, kind) if kind and isinstance(field.data, str) else None
            if message is not None:
                field.errors = [*field.errors, message]
                valid = False
        return valid
