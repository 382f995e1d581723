"""User-facing strings are wrapped for translation: extraction finds them in code and templates."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

ROOT = Path(__file__).resolve().parent.parent


def _extract(folder: str, method: str) -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT / folder,
        method_map=[("**.py" if method == "python" else "**.html", method)],
        keywords={"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None},
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_template_strings_are_extracted() -> None:
    messages = _extract("templates", "jinja2")
    assert "Find survivor-led partners" in messages
    assert "Leadership model" in messages
    assert "%(num)s organization" in messages
    assert len(messages) > 100


def test_python_strings_are_extracted() -> None:
    messages = _extract("directory", "python")
    assert "Micro-finance" in messages  # a vocabulary label
    assert "Middle Africa" in messages  # a region name
    assert "We could not find that page." in messages
