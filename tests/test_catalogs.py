"""The translation catalogs are complete and careful: every message the code and templates can show is
translated in every catalog, with the same placeholders and markup, no fuzzy or copied entries, and the
glossary's terms used the same way everywhere (``translations/glossary.toml``)."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
LANGUAGES = sorted(p.parent.parent.name for p in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]")
TAG = re.compile(r"</?([a-z]+)")


@cache
def code_messages() -> dict[str, str | None]:
    """Every message in the code and templates: msgid -> msgid_plural (None for a simple message)."""
    found: dict[str, str | None] = {}
    for folder, pattern, method in (
        ("directory", "**.py", "python"),
        ("templates", "**.html", "jinja2"),
        ("templates", "**.txt", "jinja2"),
    ):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[(pattern, method)], keywords=KEYWORDS
        ):
            if isinstance(message, tuple):
                found[message[0]] = message[1]
            else:
                found.setdefault(message, None)
    return found


@cache
def catalog(language: str) -> Catalog:
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=language)


@cache
def glossary() -> dict:
    return tomllib.loads((TRANSLATIONS / "glossary.toml").read_text(encoding="utf-8"))


def _forms(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (tuple, list)) else [message.string]


def _placeholders(text: str) -> set[str]:
    return {m.group(1) or m.group(0) for m in PLACEHOLDER.finditer(text)}


def test_the_configured_languages_have_catalogs(app) -> None:
    for language in app.config["LANGUAGES"]:
        if language != app.config["BABEL_DEFAULT_LOCALE"]:
            assert language in LANGUAGES, f"LANGUAGES names {language}: translations/ has no catalog for it"


def test_the_extraction_finds_the_messages() -> None:
    """The check below is only as good as the extraction it compares against."""
    messages = code_messages()
    assert "Find survivor-led partners" in messages  # a template
    assert "Micro-finance" in messages  # a vocabulary label (lazy)
    assert messages["%(num)s organization"] == "%(num)s organizations"  # a plural
    assert len(messages) > 500


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language: str) -> None:
    entries = catalog(language)
    missing, fuzzy, empty = [], [], []
    for msgid, plural in code_messages().items():
        key = msgid if plural is None else msgid
        message = entries.get(key)
        if message is None:
            missing.append(msgid)
        elif message.fuzzy:
            fuzzy.append(msgid)
        elif not all(_forms(message)) or (plural is not None and len(_forms(message)) < entries.num_plurals):
            empty.append(msgid)
    assert not missing, f"{language}: {len(missing)} not in the catalog (make messages): {missing[:5]}"
    assert not fuzzy, f"{language}: fuzzy entries are not translations: {fuzzy[:5]}"
    assert not empty, f"{language}: untranslated entries: {empty[:5]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_placeholders_and_markup(language: str) -> None:
    wrong = []
    for message in catalog(language):
        if not message.id or not message.string:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        wanted = set().union(*(_placeholders(i) for i in ids))
        tags = sorted(TAG.findall(ids[0]))
        forms = _forms(message)
        got = set().union(*(_placeholders(f) for f in forms))
        # A plural's singular form may leave out the count ("une organisation"), never another value.
        if got != wanted or any(not _placeholders(f) <= wanted for f in forms):
            wrong.append((ids[0], forms))
        elif any(sorted(TAG.findall(f)) != tags for f in forms):
            wrong.append((ids[0], forms))
    assert not wrong, f"{language}: placeholders or markup differ from the English: {wrong[:5]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_translation_merely_copies_the_english(language: str) -> None:
    allowed = set(glossary()["same"][language])
    copied = [
        m.id
        for m in catalog(language)
        if m.id and isinstance(m.id, str) and m.string == m.id and m.id not in allowed
    ]
    assert not copied, (
        f"{language}: these translations copy the English; translate them or list them under [same] in "
        f"translations/glossary.toml with a reason: {copied[:10]}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_glossary_terms_are_translated_the_same_way(language: str) -> None:
    inconsistent = []
    for term in glossary()["term"]:
        english, wanted = re.compile(term["match"], re.I), re.compile(term["check"][language], re.I)
        for message in catalog(language):
            if not message.id or not message.string:
                continue
            ids = [message.id] if isinstance(message.id, str) else list(message.id)
            # A placeholder's name is not a word of the sentence (``%(agency)s`` names a value).
            if any(english.search(PLACEHOLDER.sub("", i)) for i in ids) and not all(
                wanted.search(f) for f in _forms(message)
            ):
                inconsistent.append((term["en"], ids[0]))
    assert not inconsistent, (
        f"{language}: a glossary term is translated another way (see translations/GLOSSARY.md): "
        f"{inconsistent[:8]}"
    )


def test_the_checks_catch_bad_entries() -> None:
    """The rules above, applied to entries that break them, find every break."""
    assert _placeholders("%(name)s has %(num)d") == {"name", "num"}
    assert _placeholders("100%") == set()
    survivor = next(t for t in glossary()["term"] if t["en"] == "survivor-led")
    assert re.search(survivor["match"], "Find survivor-led partners", re.I)
    french = "Trouver des organisations dirigées par des personnes survivantes"
    assert re.search(survivor["check"]["fr"], french, re.I)
    assert not re.search(survivor["check"]["fr"], "Trouver des partenaires menés par des victimes", re.I)
