"""Search result cards, read without the ORM (:mod:`directory.organizations.cards`), say what the
organization itself says on a card: the same JSON as the mapped ``Organization``, the public point and
never the true one, the summary in the reader's language where one was written — on both databases."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from directory.extensions import db
from directory.organizations.cards import Card, load_cards
from directory.organizations.models import Organization
from directory.organizations.public import summary_json
from directory.search import parse_params, search


@pytest.fixture
def listings(make_org: Callable[..., Organization]) -> list[Organization]:
    return [
        make_org(
            name="Exact Harbour",
            country_code="TH",
            city="Bangkok",
            latitude=13.7563,
            longitude=100.5018,
            location_precision="exact",
            summary="Fishing crews.",
            summary_translations={"fr": "Équipages de pêche."},
            focus=["micro-finance"],
            models=["survivor-founded", "cooperative"],
        ),
        make_org(name="City Circle", country_code="CM", summary="Savings groups.", trafficking=["labor"]),
        make_org(name="Country Voices", country_code="KE", city="Nairobi", location_precision="country"),
        make_org(
            name="Hidden Shelter",
            country_code="BR",
            city="Recife",
            latitude=-8.05,
            longitude=-34.9,
            location_precision="hidden",
            summary="A safe house.",
        ),
        make_org(name="Demo Works", country_code="PH", city="Manila", is_demo=True, text_language="fr"),
    ]


@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_a_card_is_the_organization_s_own_summary_json(
    app: Flask, listings: list[Organization], language: str
) -> None:
    with app.test_request_context(f"/?lang={language}"):
        results = search(parse_params(MultiDict({"per_page": "50"}), app.config))
        assert {hit.organization.name for hit in results.hits} == {org.name for org in listings}
        for hit in results.hits:
            card = hit.organization
            assert isinstance(card, Card)
            org = db.session.get(Organization, card.id)
            assert summary_json(card, 1.5, language) == summary_json(org, 1.5, language)


def test_a_hidden_location_shows_no_point_and_a_translation_shows_in_its_language(
    app: Flask, listings: list[Organization]
) -> None:
    terms = {org.id: {"focus": [], "model": [], "trafficking": []} for org in listings}
    with app.app_context():
        cards = {card.name: card for card in load_cards(db.session, terms, "fr").values()}
    hidden = summary_json(cards["Hidden Shelter"])["location"]
    assert hidden["precision"] == "hidden"
    assert hidden["latitude"] is None and hidden["longitude"] is None and hidden["locality"] is None
    assert cards["Exact Harbour"].text_in("summary", "fr") == ("Équipages de pêche.", "fr")
    assert cards["Exact Harbour"].text_in("summary", "es") == ("Fishing crews.", "en")
    assert cards["Exact Harbour"].location is not None
    assert cards["Exact Harbour"].location.public_latitude == pytest.approx(13.7563, abs=1e-4)


def test_an_organization_deleted_since_the_index_was_built_has_no_card(
    app: Flask, listings: list[Organization]
) -> None:
    terms = {org.id: {"focus": [], "model": [], "trafficking": []} for org in listings}
    with app.app_context():
        gone = db.session.get(Organization, listings[1].id)
        db.session.delete(gone)
        db.session.commit()
        assert set(load_cards(db.session, terms, "en")) == {org.id for org in listings} - {listings[1].id}
