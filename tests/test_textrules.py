"""The text rules (directory/textrules.py) and the base form that applies them to every form."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import Optional

import directory
from directory.forms import Form, NameField
from directory.textrules import BIDI_CONTROLS, Kind, is_allowed, one_line, problem, refused_character

SEPARATORS = {"\u2028", "\u2029"}


def refused(text: str, kind: Kind) -> set[str]:
    """Every character of ``text`` the rule refuses (found one after the other)."""
    out, start = set(), 0
    while (found := refused_character(text[start:], kind)) is not None:
        out.add(found)
        start = text.index(found, start) + 1
    return out


def test_each_kind_refuses_exactly_its_characters_in_all_of_unicode() -> None:
    everything = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    controls = {c for c in everything if unicodedata.category(c) == "Cc"}
    assert refused(everything, Kind.MULTI_LINE) == controls - {"\t", "\n", "\r"}
    assert refused(everything, Kind.SINGLE_LINE) == controls | SEPARATORS
    assert refused(everything, Kind.NAME) == controls | SEPARATORS | BIDI_CONTROLS
    assert BIDI_CONTROLS == {chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}


@pytest.mark.parametrize(
    "text",
    [
        "Littoral Women's Circle",
        "Association des femmes du Littoral – Douala",
        "جمعية الناجيات",  # right-to-left script needs no control characters
        "שלום",
        "Ōsaka 大阪 👩🏾‍🤝‍👩🏼",  # a zero-width joiner is a format character, not a control
        "left\u200emark",  # LRM and RLM are marks, not overrides
        "",
    ],
)
def test_ordinary_text_is_allowed_everywhere(text: str) -> None:
    for kind in Kind:
        assert is_allowed(text, kind) and problem(text, kind) is None


@pytest.mark.parametrize(
    ("text", "kind", "words"),
    [
        ("a\x00b", Kind.MULTI_LINE, "control character (U+0000)"),
        ("a\x1bb", Kind.SINGLE_LINE, "control character (U+001B)"),
        ("a\x85b", Kind.NAME, "one line"),  # NEL breaks a line
        ("x\r\nSet-Cookie: x=1", Kind.SINGLE_LINE, "one line"),
        ("a\tb", Kind.SINGLE_LINE, "one line"),
        ("a\u2028b", Kind.SINGLE_LINE, "one line"),
        ("\u202egnp.exe", Kind.NAME, "text-direction character (U+202E)"),
        ("a\u2066b\u2069", Kind.NAME, "text-direction character (U+2066)"),
    ],
)
def test_refused_text_says_why(text: str, kind: Kind, words: str) -> None:
    assert words in (problem(text, kind) or "")


@pytest.mark.parametrize(
    ("text", "kind"), [("a\x00b", Kind.MULTI_LINE), ("a\tb", Kind.SINGLE_LINE), ("\u202eab", Kind.NAME)]
)
def test_each_reason_is_given_in_the_readers_language(
    text: str, kind: Kind, app_config: Callable[[str, Path], dict[str, Any]], tmp_path: Path
) -> None:
    """The reason is what the person reads at the field: each has its translation (a changed English
    message would lose it)."""
    from flask_babel import force_locale

    from directory import create_app

    with create_app(app_config("sqlite://", tmp_path)).test_request_context():
        with force_locale("en"):
            english = problem(text, kind)
        for language in ("fr", "es", "pt"):
            with force_locale(language):
                assert problem(text, kind) != english, language


def test_line_breaks_and_tabs_are_fine_in_multi_line_text_and_overrides_outside_names() -> None:
    assert is_allowed("Dear Ama,\r\n\tThank you.\n", Kind.MULTI_LINE)
    assert is_allowed("a\u2028b", Kind.MULTI_LINE)
    assert is_allowed("\u202eabc", Kind.SINGLE_LINE) and is_allowed("\u202eabc", Kind.MULTI_LINE)


def test_one_line_folds_every_refused_character_to_a_space() -> None:
    assert one_line("x\r\nSet-Cookie: x=1") == "x Set-Cookie: x=1"
    assert one_line("  a\x00\x85b\u2028\tc  ") == "a b c"
    assert one_line("New message about “Training”") == "New message about “Training”"


class _Sample(Form):
    class Meta:
        csrf = False

    title = StringField(validators=[Optional()])
    name = NameField()
    body = TextAreaField()
    password = PasswordField()


def _form(**data: str) -> _Sample:
    return _Sample(MultiDict(data))


def test_the_base_form_checks_every_text_field_by_its_kind(app: Flask) -> None:
    with app.test_request_context():
        form = _form(title="a\x00b", name="\u202eAma", body="two\r\nlines", password="pass\x00word")
        assert not form.validate()
        assert set(form.errors) == {"title", "name"}
        assert "U+0000" in form.errors["title"][0] and "U+202E" in form.errors["name"][0]
        # Optional() stops validation on blank text, and a line break alone is blank: still refused
        blank = _form(title="\r\n", name="Ama", body="")
        assert not blank.validate() and "one line" in blank.errors["title"][0]
        assert _form(title="Training", name="Ama", body="Line 1\nLine 2\tend").validate()


def test_every_form_of_the_app_uses_the_base_form() -> None:
    forms = []
    for module in pkgutil.walk_packages(directory.__path__, "directory."):
        if module.name.endswith(".forms"):
            loaded = importlib.import_module(module.name)
            forms += [
                cls
                for _, cls in inspect.getmembers(loaded, inspect.isclass)
                if issubclass(cls, FlaskForm) and cls.__module__ == loaded.__name__
            ]
    assert len(forms) > 15
    assert [cls.__qualname__ for cls in forms if not issubclass(cls, Form)] == []
