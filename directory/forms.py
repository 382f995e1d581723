"""The base of every form: each text field is checked against the character rules of ``textrules``, and
every form shown is known to the page, so its errors can be summed up at the top (``invalid_fields``).

A ``TextAreaField`` is multi-line text, a ``NameField`` a name, and every other string field (text, email,
URL, hidden) single-line; a refused character is an error at its field. Passwords are left alone: they
are never stored, shown or sent, and refusing a character at sign-in could lock someone out.

The fields people found hard on a phone live here too, for every form that needs them: languages typed by
name (``LanguagesField``), countries ticked in a list grouped by region (``CountriesField``) and a website
typed without its ``https://`` (``WebsiteField``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import g, has_request_context, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import Field, PasswordField, SelectMultipleField, StringField, TextAreaField
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import ValidationError

from . import languages, regions
from .folding import fold
from .textrules import Kind, problem
from .websites import NOT_A_WEBSITE, is_website, normalize_website


class NameField(StringField):
    """The name of a person, an organization or an agency: one line, and no text-direction controls."""


class WebsiteField(StringField):
    """A website: ``example.org`` is taken as ``https://example.org``, and only http(s) addresses pass.

    A text input (``inputmode="url"``), not ``type="url"``: browsers would refuse an address typed
    without its scheme before the server could complete it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        render_kw = {"inputmode": "url", "autocomplete": "url", "spellcheck": "false"}
        kwargs["render_kw"] = {**render_kw, **(kwargs.get("render_kw") or {})}
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        # Text with a refused character is kept as typed, for the character check to name it.
        if isinstance(self.data, str) and problem(self.data, Kind.SINGLE_LINE) is None:
            self.data = normalize_website(self.data)

    def pre_validate(self, form: Any) -> None:
        if self.data and problem(self.data, Kind.SINGLE_LINE) is None and not is_website(self.data):
            raise ValidationError(str(NOT_A_WEBSITE))

    def _value(self) -> str:
        # A refused address is shown as it was typed, not as completed ("not a url", not "https://not a url").
        if self.errors and self.raw_data:
            return str(self.raw_data[0])
        return super()._value()


class LanguagesField(StringField):
    """Languages typed by name in the reader's language or English, or by ISO 639-3 code, separated by
    commas ("French, English, Duala"); ``data`` is the list of codes, shown back as names.

    With JavaScript, ``static/js/pickers.js`` suggests names from the list at ``api.languages``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["render_kw"] = {"autocomplete": "off", **(kwargs.get("render_kw") or {})}
        super().__init__(*args, **kwargs)
        self.text: str | None = None
        self.unknown: list[str] = []

    def process_data(self, value: Any) -> None:
        self.data = list(value or [])

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            self.text = str(valuelist[0])
            parsed = languages.parse(self.text)
            self.data, self.unknown = parsed.codes, parsed.unknown

    def _value(self) -> str:
        return self.text if self.text is not None else languages.names(self.data or [])

    def __call__(self, **kwargs: Any) -> Markup:
        if has_request_context():
            kwargs.setdefault("data-languages", url_for("api.languages", lang=str(get_locale() or "en")))
        return super().__call__(**kwargs)

    def pre_validate(self, form: Any) -> None:
        message = problem(self.text or "", Kind.SINGLE_LINE)
        if message is not None:
            raise ValidationError(str(message))
        if self.unknown:
            raise ValidationError(
                str(
                    _l(
                        "We do not know these languages: %(names)s. Type each language's name, "
                        "e.g. French, or its ISO 639-3 code, separated by commas.",
                        names=", ".join(f"“{piece}”" for piece in self.unknown),
                    )
                )
            )


@dataclass(frozen=True, slots=True)
class CountryOption:
    """One country of a picker: its code, its name in the reader's language, and whether it is ticked."""

    code: str
    name: str
    checked: bool


class CountriesField(SelectMultipleField):
    """Countries ticked in a list grouped by continent (a fieldset with a legend: see ``form_field`` in
    ``templates/_macros.html``); ``data`` is the list of ISO 3166-1 codes. The choices are every country
    the directory knows, unless set otherwise."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices = [(code, regions.country_name(code)) for code in regions.country_codes()]

    def groups(self) -> list[tuple[str, list[CountryOption]]]:
        """(continent name, its countries by name) for every continent, in M49 order."""
        chosen = set(self.data or [])
        by_region: dict[str, list[CountryOption]] = {slug: [] for slug in regions.regions()}
        for code, name in self.choices:  # type: ignore[misc]
            option = CountryOption(code, str(name), code in chosen)
            by_region.setdefault(regions.region_of(code).region, []).append(option)
        return [
            (regions.region_name(slug), sorted(options, key=lambda o: fold(o.name)))
            for slug, options in by_region.items()
            if options
        ]

    def chosen(self) -> list[CountryOption]:
        """The ticked countries, by name: what the picker sums up above the list."""
        return sorted(
            (option for _name, options in self.groups() for option in options if option.checked),
            key=lambda o: fold(o.name),
        )


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
