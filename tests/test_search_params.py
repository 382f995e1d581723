"""The search parameters (directory/search/params.py): what each one accepts at its limits, what it refuses,
the sort in force, and the links a search page builds. Pure: no app, no database."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from directory.search.params import (
    MAX_PAGE,
    PARAMETERS,
    SORTS,
    DistanceWithoutPlaceError,
    SearchParamError,
    SearchParams,
    parse_params,
)

#: Limits unlike the defaults, so a test can tell a configured value from a written-in one.
CONFIG = {
    "SEARCH_MAX_QUERY_LENGTH": 50,
    "SEARCH_DEFAULT_RADIUS_KM": 75,
    "SEARCH_MAX_RADIUS_KM": 500,
    "SEARCH_PER_PAGE": 12,
    "SEARCH_MAX_PER_PAGE": 40,
}


@pytest.fixture(scope="module")
def catalogs(
    app_config: Callable[[str, Path], dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> Flask:
    """An app for its translations only: no database is touched."""
    from directory import create_app

    return create_app(app_config("sqlite://", tmp_path_factory.mktemp("catalogs")))


def parse(**args: Any) -> SearchParams:
    return parse_params(MultiDict(args), CONFIG)


def refused(**args: Any) -> SearchParamError:
    with pytest.raises(SearchParamError) as info:
        parse(**args)
    return info.value


def test_nothing_asked_is_the_first_page_of_everything_with_the_configured_sizes() -> None:
    params = parse()
    assert params == SearchParams(q="", filters={}, near="", radius_km=75.0, sort=None, page=1, per_page=12)
    assert params.effective_sort == "name"


def test_the_default_radius_comes_from_the_configuration() -> None:
    assert parse(near="Douala").radius_km == 75.0
    assert (
        parse_params(MultiDict({"near": "Douala"}), {**CONFIG, "SEARCH_DEFAULT_RADIUS_KM": 30}).radius_km
        == 30.0
    )
    assert parse(near="Douala", radius_km=" ").radius_km == 75.0


@pytest.mark.parametrize("radius", ["0.5", "0.001", "1", "499.5", "500"])
def test_a_radius_above_zero_up_to_the_maximum_is_taken(radius: str) -> None:
    assert parse(near="Douala", radius_km=radius).radius_km == float(radius)


@pytest.mark.parametrize("radius", ["0", "-1", "500.01", "501", "nan", "inf"])
def test_a_radius_of_zero_or_beyond_the_maximum_is_refused(radius: str) -> None:
    error = refused(near="Douala", radius_km=radius)
    assert error.param == "radius_km"
    assert "500" in error.message  # says what is valid


def test_a_radius_that_is_not_a_number_is_refused() -> None:
    assert refused(radius_km="ten").param == "radius_km"


@pytest.mark.parametrize(("page", "expected"), [("1", 1), ("2", 2), (" 7 ", 7), (str(MAX_PAGE), 10_000)])
def test_pages_from_the_first_to_the_last_allowed(page: str, expected: int) -> None:
    assert parse(page=page).page == expected


@pytest.mark.parametrize("page", ["0", "-1", str(MAX_PAGE + 1), "1.5", "two"])
def test_a_page_outside_one_to_ten_thousand_is_refused(page: str) -> None:
    error = refused(page=page)
    assert error.param == "page"
    assert error.message.startswith("page ")


def test_the_page_limit_says_what_is_valid() -> None:
    assert "1 and 10000" in refused(page="10001").message
    assert refused(page="x").message == "page must be a whole number."


@pytest.mark.parametrize(("per_page", "expected"), [("1", 1), ("40", 40), ("", 12)])
def test_page_sizes_from_one_to_the_configured_maximum(per_page: str, expected: int) -> None:
    assert parse(per_page=per_page).per_page == expected


@pytest.mark.parametrize("per_page", ["0", "41"])
def test_a_page_size_beyond_the_limits_is_refused(per_page: str) -> None:
    error = refused(per_page=per_page)
    assert error.param == "per_page"
    assert "1 and 40" in error.message


def test_the_text_is_trimmed_and_limited_to_the_configured_length() -> None:
    assert parse(q="  shelter  ").q == "shelter"
    assert parse(q="x" * 50).q == "x" * 50
    error = refused(q="x" * 51)
    assert error.param == "q"
    assert "50" in error.message


@pytest.mark.parametrize("name", ["q", "near"])
def test_text_with_a_control_character_is_refused(name: str) -> None:
    assert refused(**{name: "a\x00b"}).param == name
    assert refused(**{name: "a\nb"}).param == name


def test_the_place_name_has_its_whitespace_folded() -> None:
    assert parse(near="  Douala     Cameroon ").near == "Douala Cameroon"


def test_the_place_name_may_have_two_hundred_characters_after_folding() -> None:
    assert parse(near="x" * 200).near == "x" * 200
    assert parse(near="  " + "x" * 200 + "   ").near == "x" * 200
    error = refused(near="x" * 201)
    assert error.param == "near"
    assert "200" in error.message


@pytest.mark.parametrize("sort", SORTS)
def test_every_sort_is_taken_with_a_place(sort: str) -> None:
    assert parse(q="shelter", near="Douala", sort=sort).sort == sort
    assert parse(q="shelter", near="Douala", sort=f" {sort} ").sort == sort


def test_an_unknown_sort_is_refused_with_the_valid_ones() -> None:
    error = refused(sort="best")
    assert error.param == "sort"
    assert "relevance, distance, name, updated" in error.message


def test_sorting_by_distance_needs_a_place() -> None:
    with pytest.raises(DistanceWithoutPlaceError) as info:
        parse(sort="distance")
    assert info.value.param == "sort"
    assert parse(sort="distance", near="Douala").effective_sort == "distance"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"sort": "relevance", "q": "shelter"}, "relevance"),
        ({"sort": "relevance"}, "name"),  # no text to rank by: falls back
        ({"sort": "relevance", "near": "Douala"}, "distance"),
        ({"sort": "name", "q": "shelter"}, "name"),
        ({"sort": "updated", "near": "Douala"}, "updated"),
        ({"q": "shelter"}, "relevance"),
        ({"q": "shelter", "near": "Douala"}, "relevance"),
        ({"near": "Douala"}, "distance"),
        ({}, "name"),
    ],
)
def test_the_sort_in_force(args: dict[str, str], expected: str) -> None:
    assert parse(**args).effective_sort == expected


def test_relevance_with_blank_text_falls_back_like_no_text() -> None:
    blank = SearchParams(q="   ", sort="relevance")
    assert blank.effective_sort == "name"
    assert SearchParams(q="   ", near="Douala", sort="relevance").effective_sort == "distance"
    assert SearchParams(q="   ").effective_sort == "name"


def test_filters_take_repeated_and_comma_separated_values_once_each() -> None:
    args = MultiDict(
        [("focus", "housing, youth"), ("focus", "housing"), ("focus", " , "), ("country", "cm,NG")]
    )
    params = parse_params(args, CONFIG)
    assert params.filters == {"focus": ("housing", "youth"), "country": ("CM", "NG")}
    assert params.selected("focus") == ("housing", "youth")
    assert params.selected("model") == ()


@pytest.mark.parametrize("name", ["focus", "model", "service", "engagement", "trafficking"])
def test_each_vocabulary_filter_takes_the_terms_of_its_own_list(name: str) -> None:
    from directory import vocab

    known = list(vocab.TAXONOMIES[name])
    assert parse(**{name: ",".join(known)}).filters == {name: tuple(known)}
    other = next(code for taxonomy, terms in vocab.TAXONOMIES.items() if taxonomy != name for code in terms)
    if other not in known:
        assert refused(**{name: other}).param == name


def test_languages_by_code_or_name_once_each() -> None:
    assert parse(language="French,fr,es").filters == {"language": ("fr", "es")}


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("focus", "cooking", "cooking"),
        ("region", "atlantis", "atlantis"),
        ("country", "XX", "XX"),
        ("serves", "zz", "ZZ"),
        ("language", "klingonese", "klingonese"),
    ],
)
def test_an_unknown_filter_value_is_refused_by_name(name: str, value: str, named: str) -> None:
    error = refused(**{name: value})
    assert error.param == name
    assert named in error.message


@pytest.mark.parametrize(
    ("name", "values", "named"),
    [
        ("focus", "cooking,baking", "cooking, baking"),
        ("region", "atlantis,lemuria", "atlantis, lemuria"),
        ("country", "XX,YY", "XX, YY"),
        ("language", "klingonese,elvish", "klingonese, elvish"),
    ],
)
def test_every_unknown_value_is_named_in_a_list(name: str, values: str, named: str) -> None:
    assert named in refused(**{name: values}).message


def test_the_valid_values_are_listed_in_full() -> None:
    from directory import regions, vocab

    assert ", ".join(vocab.TAXONOMIES["focus"]) in refused(focus="cooking").message
    assert ", ".join(sorted(regions.region_slugs())) in refused(region="atlantis").message


def test_a_known_region_and_the_countries_served_are_taken() -> None:
    params = parse(region="africa", serves="cm")
    assert params.filters == {"region": ("africa",), "serves": ("CM",)}


def test_the_valid_values_are_named_when_one_is_unknown() -> None:
    assert "housing" in refused(focus="cooking").message
    assert "africa" in refused(region="atlantis").message


@pytest.mark.parametrize(
    "args",
    [
        {"q": "x" * 51},
        {"q": "a\x00b"},
        {"near": "x" * 201},
        {"radius_km": "ten"},
        {"radius_km": "0"},
        {"sort": "best"},
        {"sort": "distance"},
        {"page": "x"},
        {"page": "0"},
        {"focus": "cooking"},
        {"region": "atlantis"},
        {"country": "XX"},
        {"language": "klingonese"},
    ],
    ids=lambda args: "-".join(f"{k}={v[:8]}" for k, v in args.items()),
)
def test_every_refusal_is_explained_in_the_readers_language(args: dict[str, str], catalogs: Flask) -> None:
    """The message is the answer a person reads (beside the form, or as the API's error): each has its
    translation, which a changed English message would lose."""
    from flask_babel import force_locale

    with catalogs.test_request_context():
        with force_locale("en"):
            english = refused(**args).message
        for language in ("fr", "es", "pt"):
            with force_locale(language):
                assert refused(**args).message != english, language


def test_every_parameter_a_search_reads() -> None:
    assert set(PARAMETERS) == {
        "q", "near", "radius_km", "sort", "page", "per_page",
        "region", "country", "focus", "model", "service", "engagement", "trafficking", "language", "serves",
    }  # fmt: skip


# --- the links a page of results builds ----------------------------------------------------------


def test_the_blank_search_a_page_shows_when_its_parameters_were_refused() -> None:
    blank = SearchParams()
    assert blank == SearchParams(q="", filters={}, near="", radius_km=100.0, sort=None, page=1, per_page=20)
    assert blank.to_args(near="Douala") == {"near": "Douala", "radius_km": "100"}


def test_a_checked_search_cannot_be_changed_afterwards() -> None:
    params = parse(q="shelter")
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.q = "other"  # type: ignore[misc]


def test_the_arguments_of_a_search_leave_out_what_is_at_its_default() -> None:
    assert SearchParams().to_args() == {}
    assert SearchParams().effective_sort == "name"
    params = SearchParams(q="shelter", near="Douala", radius_km=50.0, sort="name", page=3, per_page=10)
    assert params.to_args() == {
        "q": "shelter",
        "near": "Douala",
        "radius_km": "50",
        "sort": "name",
        "page": 3,
        "per_page": 10,
    }
    assert SearchParams(near="Douala", radius_km=2.5, per_page=20).to_args() == {
        "near": "Douala",
        "radius_km": "2.5",
    }


def test_links_change_what_they_name_and_keep_the_rest() -> None:
    params = SearchParams(q="shelter", filters={"focus": ("labor",)}, page=2)
    assert params.to_args(page=3) == {"q": "shelter", "focus": ["labor"], "page": 3}
    assert params.to_args(focus=["sex"], unknown=1) == {"q": "shelter", "focus": ["sex"], "page": 2}


def test_a_download_has_every_match_on_one_page() -> None:
    params = SearchParams(q="shelter", page=4, per_page=50)
    assert params.all_pages_args() == {"q": "shelter"}


def test_removing_the_filters_keeps_the_text_and_goes_back_to_the_first_page() -> None:
    params = SearchParams(q="shelter", filters={"focus": ("labor",), "country": ("CM",)}, page=5)
    assert params.without_filters() == {"q": "shelter"}


def test_a_filter_value_toggles_on_and_off_from_the_first_page() -> None:
    params = SearchParams(filters={"focus": ("labor",)}, page=5)
    assert params.toggled("focus", "sex") == {"focus": ["labor", "sex"]}
    assert params.toggled("focus", "labor") == {}
    assert params.toggled("country", "CM") == {"focus": ["labor"], "country": ["CM"]}
