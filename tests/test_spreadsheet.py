"""The spreadsheet-formula guard (directory/spreadsheet.py): examples at every boundary, and properties that
hold for any text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from directory.spreadsheet import ALWAYS_NEUTRALISED, cell, is_number_or_phone, safe_cell

# Pure and fast, but a shared machine may pause any example: no deadline (never a timed test).
settings.register_profile("spreadsheet", deadline=None, max_examples=200)
PROFILE = settings.get_profile("spreadsheet")


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        '=HYPERLINK("http://example.org","click")',
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "+",
        "-",
        "- a list item",
        "+237 call us",
        "-1e",
        "+1 (555) SOS",
        "=",
        "@",
        "=-1",  # a number after "=" is still a formula
        "@4.05",
        "\t42",
    ],
)
def test_would_be_formulas_are_written_as_text(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    "text",
    [
        "-4.05123",  # a latitude south of the equator
        "+9.70428",
        "-0.5",
        "-.5",
        "-1e-3",
        "+237 6 99 12 34 56",
        "+1 (555) 123-4567",
        "+44 20 7946.0958",
        "+33/1 23 45 67 89",
        "Douala",
        "Women's Circle = strength",  # "=" inside text is harmless
        "",
        "4.05",
        "'=already text",
        "Côte d’Ivoire",
        " =1+1",  # a leading space: spreadsheets read it as text
    ],
)
def test_numbers_phones_and_plain_text_are_left_alone(text: str) -> None:
    assert safe_cell(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [("-4.05", True), ("+237 6 99", True), ("+2", True), ("+", False), ("+ 237", False), ("-4.05 km", False)],
)
def test_is_number_or_phone(text: str, expected: bool) -> None:
    assert is_number_or_phone(text) is expected


@PROFILE
@given(st.text())
def test_any_text_is_kept_whole_with_at_most_a_prefix(text: str) -> None:
    out = safe_cell(text)
    assert out in (text, "'" + text)


@PROFILE
@given(st.text())
def test_no_cell_starts_a_formula(text: str) -> None:
    out = safe_cell(text)
    assert not out.startswith(ALWAYS_NEUTRALISED)
    assert not out.startswith(("+", "-")) or is_number_or_phone(out)


@PROFILE
@given(st.text())
def test_neutralising_twice_changes_nothing_more(text: str) -> None:
    assert safe_cell(safe_cell(text)) == safe_cell(text)


@PROFILE
@given(st.text().filter(lambda t: not t.startswith(("=", "@", "\t", "\r", "+", "-"))))
def test_text_that_starts_safely_is_unchanged(text: str) -> None:
    assert safe_cell(text) == text


@PROFILE
@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers())
def test_numbers_as_python_writes_them_are_unchanged(number: float) -> None:
    assert safe_cell(str(number)) == str(number)


@settings(PROFILE, max_examples=100)  # generating from a pattern is the slow part
@given(
    st.from_regex(r"\+[1-9][0-9]{0,3}( [0-9]{2,4}){1,4}", fullmatch=True)
    | st.from_regex(r"\+[1-9][0-9]? \([0-9]{3}\) [0-9]{3}-[0-9]{4}", fullmatch=True)
)
def test_international_phone_numbers_are_unchanged(phone: str) -> None:
    assert safe_cell(phone) == phone


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (-4.05, "-4.05"),
        ("", ""),
        ("=1+1", "'=1+1"),
        ("Douala", "Douala"),
    ],
)
def test_any_value_as_a_cell(value: object, expected: str) -> None:
    """Nothing is an empty cell, booleans are words, numbers as Python writes them, text made safe."""
    assert cell(value) == expected
