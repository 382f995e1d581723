"""Profiles in their own language, and search in the reader's: the language of what an organization
writes, its summary and leadership narrative in more languages (through review once published), vocabulary
terms named in any language, hyphens folded and text stemmed in its own language — on both databases."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from directory.extensions import db
from directory.organizations.models import ListingStatus, Organization
from directory.search import parse_params, search
from directory.search.synonyms import term_lookup, term_token
from directory.search.text import document_tokens, parse_query

from . import test_profile_sections as sections
from .test_accounts import link_in, org_form
from .test_profile_sections import decision, pending, section_form

# The editor's fixtures: CSRF off, a listing with its member signed in, an admin signed in.
app = sections.app
listing = sections.listing
admin_client = sections.admin_client


def found(client: FlaskClient, q: str, lang: str = "en") -> set[str]:
    """The names the API finds for ``q``, read in ``lang``."""
    response = client.get("/api/v1/organizations", query_string={"q": q, "lang": lang})
    assert response.status_code == 200, response.json
    return {r["name"] for r in response.json["results"]}


@pytest.fixture
def micro(make_org: Callable[..., Organization]) -> None:
    # Tagged micro-finance, and never saying it: only the vocabulary finds it.
    make_org(name="Bafoussam Circle", summary="Loans and savings groups for women.", focus=["micro-finance"])
    make_org(name="Hyphen House", summary="We offer micro-finance to returnees.")
    make_org(name="Joined House", summary="We offer microfinance to returnees.")
    make_org(name="Other Shelter", summary="Housing for young people.", focus=["housing"])


@pytest.mark.parametrize(
    "q", ["microfinanzas", "microfinança", "microfinance", "micro-finance", "Micro finance"]
)
def test_every_spelling_of_micro_finance_finds_the_micro_finance_organizations(
    client: FlaskClient, micro: None, q: str
) -> None:
    assert found(client, q) == {"Bafoussam Circle", "Hyphen House", "Joined House"}


def test_a_term_named_in_the_reader_s_language_among_other_words(client: FlaskClient, micro: None) -> None:
    assert found(client, "microfinanzas mujeres", lang="es") == set()  # every word still counts
    assert found(client, "microfinanzas women", lang="es") == {"Bafoussam Circle"}


def test_the_search_service_reads_terms_in_any_language(app: Flask, micro: None) -> None:
    with app.test_request_context("/?lang=pt"):
        results = search(parse_params(MultiDict({"q": "microcrédito"}), app.config))
    assert {hit.organization.name for hit in results.hits} == {
        "Bafoussam Circle",
        "Hyphen House",
        "Joined House",
    }


def test_a_query_names_a_term_through_the_catalogs_and_the_synonyms(app: Flask) -> None:
    with app.app_context():
        lookup = term_lookup(app.config["LANGUAGES"])
    token = term_token("focus", "micro-finance")
    for name in ("microfinanzas", "microfinanca", "microcredito", "microfinance"):
        assert token in lookup(name), name
    assert term_token("focus", "mental-health") in lookup("santementale")
    assert {term_token("service", "peer-support"), term_token("engagement", "peer-support")} <= lookup(
        "peersupport"
    )
    assert lookup("weather") == frozenset()
    # A stem too short to stand for a name names nothing: French stems both "Logan" and "logement" to
    # "log"; the plural still finds the term through a longer stem.
    assert lookup("logan") == frozenset()
    assert term_token("focus", "housing") in lookup("logements")
    query = parse_query("micro finance", "en", lookup)
    assert query is not None and all(token in group for group in query.groups)


def test_hyphenated_words_are_indexed_joined_too() -> None:
    assert document_tokens("micro-finance") == "micro finance financ microfinance microfin"


FRENCH = "Formation et autonomie des femmes."


def test_french_text_is_stemmed_in_french(client: FlaskClient, make_org: Callable[..., Organization]) -> None:
    make_org(name="Cercle de Douala", summary=FRENCH, text_language="fr")
    make_org(name="Same Words, Marked English", summary=FRENCH)
    # "autonomes" and "autonomie" share their French stem, not their English one.
    assert found(client, "autonomes", lang="fr") == {"Cercle de Douala"}
    assert found(client, "autonomes", lang="en") == {"Cercle de Douala"}
    assert found(client, "formations") == {"Cercle de Douala", "Same Words, Marked English"}


def test_spanish_text_is_stemmed_in_spanish(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    make_org(name="Red de Lima", summary="Capacitación para mujeres.", text_language="es")
    assert found(client, "capacitamos", lang="es") == {"Red de Lima"}


def test_a_version_in_another_language_is_searched_with_its_stemmer(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    make_org(
        name="Harbour Voices",
        summary="Support for survivors.",
        summary_translations={"fr": "Accompagnement vers l'autonomie."},
    )
    assert found(client, "autonomes", lang="fr") == {"Harbour Voices"}


@pytest.fixture
def bilingual(make_org: Callable[..., Organization]) -> Organization:
    return make_org(
        name="Cercle de Douala",
        text_language="fr",
        summary="Des prêts pour les femmes.",
        leadership_narrative="Des personnes survivantes dirigent tout.",
        description="Fondé en 2015.",
        summary_translations={"es": "Préstamos para mujeres."},
    )


def test_the_profile_marks_the_organization_s_own_words_with_their_language(
    client: FlaskClient, bilingual: Organization
) -> None:
    page = client.get(f"/organizations/{bilingual.slug}").get_data(as_text=True)
    assert '<html lang="en"' in page
    assert '<span lang="fr">Cercle de Douala</span>' in page
    assert '<p class="lead" lang="fr">Des prêts pour les femmes.</p>' in page
    assert '<p lang="fr">Des personnes survivantes dirigent tout.</p>' in page
    assert '<p lang="fr">Fondé en 2015.</p>' in page


def test_a_reader_sees_the_summary_in_their_language_when_it_was_written(
    client: FlaskClient, bilingual: Organization
) -> None:
    page = client.get(f"/organizations/{bilingual.slug}?lang=es").get_data(as_text=True)
    assert '<p class="lead" lang="es">Préstamos para mujeres.</p>' in page
    assert '<p lang="fr">Des personnes survivantes dirigent tout.</p>' in page  # no Spanish version
    results = client.get("/organizations?lang=es&q=douala").get_data(as_text=True)
    assert '<p lang="es">Préstamos para mujeres.</p>' in results
    english = client.get("/organizations?lang=en&q=douala").get_data(as_text=True)
    assert '<p lang="fr">Des prêts pour les femmes.</p>' in english
    card = client.get("/api/v1/organizations?q=douala&lang=es").json["results"][0]
    assert (card["summary"], card["summary_language"], card["text_language"]) == (
        "Préstamos para mujeres.",
        "es",
        "fr",
    )
    profile = client.get(f"/api/v1/organizations/{bilingual.slug}?lang=pt").json
    assert (profile["summary"], profile["summary_language"]) == ("Des prêts pour les femmes.", "fr")
    assert profile["translations"] == [
        {"language": "es", "summary": "Préstamos para mujeres.", "leadership_narrative": ""}
    ]


def test_a_second_language_summary_of_a_published_listing_waits_for_review(
    listing: Any, admin_client: FlaskClient
) -> None:
    org, ama, _second = listing()
    form = section_form(ama, "about", summary_fr="Des prêts et des formations.")
    assert form["text_language"] == ["en"]
    response = ama.post("/my/organization/edit/about", data=form)
    assert response.status_code == 302
    assert pending(org).data["summary_translations"] == {"fr": "Des prêts et des formations."}
    page = ama.get(f"/organizations/{org.slug}?lang=fr").get_data(as_text=True)
    assert "Des prêts et des formations." not in page  # the public keeps the approved version
    review = admin_client.get(f"/admin/organizations/{org.id}").get_data(as_text=True)
    assert '<dd lang="fr">Des prêts et des formations.</dd>' in review
    assert (
        admin_client.post(f"/admin/organizations/{org.id}", data=decision(admin_client, org)).status_code
        == 302
    )
    page = ama.get(f"/organizations/{org.slug}?lang=fr").get_data(as_text=True)
    assert '<p class="lead" lang="fr">Des prêts et des formations.</p>' in page
    assert found(ama, "formation", lang="fr") == {org.name}


def test_the_profile_language_is_chosen_in_the_editor_and_checked(listing: Any) -> None:
    org, ama, _second = listing(ListingStatus.DRAFT)
    form = section_form(ama, "about", text_language="fr", summary_fr="Déjà en français.")
    page = ama.post("/my/organization/edit/about", data=form).get_data(as_text=True)
    assert "Your profile is written in this language" in page  # at the French version's field
    # Each other-language box is marked with its language (spell checkers and screen readers use it).
    assert re.search(
        r'<textarea[^>]*id="summary_es"[^>]*lang="es"|<textarea[^>]*lang="es"[^>]*id="summary_es"', page
    )
    form = section_form(ama, "about", text_language="fr", summary_es="En español.")
    assert ama.post("/my/organization/edit/about", data=form).status_code == 302
    db.session.refresh(org)
    assert org.text_language == "fr"
    assert [(t.language, t.summary) for t in org.texts] == [("es", "En español.")]
    leadership = section_form(ama, "leadership", narrative_pt="Pessoas sobreviventes lideram.")
    assert ama.post("/my/organization/edit/leadership", data=leadership).status_code == 302
    db.session.refresh(org)
    assert [(t.language, t.summary, t.leadership_narrative) for t in org.texts] == [
        ("es", "En español.", ""),
        ("pt", "", "Pessoas sobreviventes lideram."),
    ]


def test_a_new_listing_is_written_in_the_language_of_the_page_it_was_registered_on(
    client: FlaskClient, outbox: Callable[[], list[str]]
) -> None:
    assert client.post("/register/organization?lang=fr", data=org_form()).status_code == 302
    [message] = outbox()
    assert client.post(link_in(message)).status_code == 302
    org = db.session.scalar(sa.select(Organization))
    assert org is not None and org.text_language == "fr"
