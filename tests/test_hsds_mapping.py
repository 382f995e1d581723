"""The HSDS mapping itself (directory/hsds/mapping.py), object by object: every field it writes, and what it
leaves out because the public may not see it. Called directly (no HTTP); tests/test_hsds.py checks the API
and validates against the schemas."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale

from directory.hsds import ids, mapping
from directory.organizations.models import Organization

PROFILE = "https://directory.example.org/organizations/"
TRUE_POINT = (4.0611, 9.7867)


def profile_url(slug: str) -> str:
    return PROFILE + slug


@pytest.fixture
def context(app: Flask) -> Iterator[None]:
    with app.test_request_context(), force_locale("en"):
        yield


@pytest.fixture
def make(make_org: Callable[..., Organization], context: None) -> Callable[..., Organization]:
    """A listing offering training, on housing, in French, serving Cameroon; ``fields`` change it."""

    def build(**fields: Any) -> Organization:
        fields = {
            "name": "Exact Public",
            "location_precision": "exact",
            "description": "Peer support.",
            "services": ["training"],
            "focus": ["housing"],
            "models": ["survivor-founded"],
            "trafficking": ["labor"],
            "engagements": ["trainer"],
            "languages": ["fr"],
            "serves": ["CM"],
            "latitude": TRUE_POINT[0],
            "longitude": TRUE_POINT[1],
            **fields,
        }
        return make_org(**fields)

    return build


def term(name: str, code: str, label: str, taxonomy: str, language: str = "en") -> dict[str, Any]:
    return {
        "id": ids.taxonomy_term_id(name, code),
        "code": code,
        "name": label,
        "description": f"{label}, a term of the list “{taxonomy}”.",
        "taxonomy": taxonomy,
        "taxonomy_id": ids.taxonomy_id(name),
        "language": language,
    }


HOUSING = ("focus", "housing", "Housing", "Focus area")


def vocabulary_term(name: str, code: str) -> tuple[str, str, str, str]:
    from directory import vocab

    return (name, code, vocab.label(name, code), str(vocab.TAXONOMY_NAMES[name]))


#: The listing's terms, in the order of its taxonomies: leadership model, focus, trafficking, engagement.
ORGANIZATION_TERMS = [
    ("model", "survivor-founded"),
    ("focus", "housing"),
    ("trafficking", "labor"),
    ("engagement", "trainer"),
]
TRAINING = ("service", "training", "Training", "Service to partners")


def attribute(link: str, entity: str, name: str, code: str, label: str, taxonomy: str) -> dict[str, Any]:
    term_id = ids.taxonomy_term_id(name, code)
    return {
        "id": ids.attribute_id(link, term_id),
        "link_id": link,
        "link_entity": entity,
        "taxonomy_term_id": term_id,
        "taxonomy_term": term(name, code, label, taxonomy),
    }


def expected_location(org: Organization, **fields: Any) -> dict[str, Any]:
    lid = ids.location_id(org.uuid)
    return {
        "id": lid,
        "location_type": "physical",
        "organization_id": org.uuid,
        "name": "Douala, Cameroon",
        "country": "CM",
        "locality": "Douala",
        "latitude": TRUE_POINT[0],
        "longitude": TRUE_POINT[1],
        "languages": [{"id": ids.language_id(lid, "fr"), "location_id": lid, "name": "French", "code": "fr"}],
        **fields,
    }


def test_a_whole_public_organization(make: Callable[..., Organization]) -> None:
    org = make(
        website="https://exact.example.org",
        year_incorporated=2015,
        email="open@exact.example.org",
        email_visibility="public",
        phone="+237 600 000 001",
        phone_visibility="public",
    )
    org.assured_date = datetime(2026, 11, 2, 15, 30, tzinfo=UTC)
    brief = {
        "id": org.uuid,
        "name": "Exact Public",
        "description": "Peer support.",
        "email": "open@exact.example.org",
        "website": "https://exact.example.org",
        "year_incorporated": 2015,
        "uri": PROFILE + org.slug,
    }
    sid = ids.service_id(org.uuid, "training")
    place = expected_location(org)
    service = {
        "id": sid,
        "organization_id": org.uuid,
        "name": "Training",
        "status": "active",
        "last_modified": org.updated_at.isoformat(timespec="seconds"),
        "assured_date": "2026-11-02",
        "organization": brief,
        "service_areas": [
            {"id": ids.service_area_id(sid, "CM"), "service_id": sid, "name": "Cameroon", "country": "CM"}
        ],
        "languages": [{"id": ids.language_id(sid, "fr"), "service_id": sid, "name": "French", "code": "fr"}],
        "service_at_locations": [
            {
                "id": ids.service_at_location_id(sid),
                "service_id": sid,
                "location_id": place["id"],
                "location": place,
            }
        ],
        "attributes": [
            attribute(sid, "service", *TRAINING),
            *(attribute(sid, "service", *vocabulary_term(n, c)) for n, c in ORGANIZATION_TERMS),
        ],
    }
    assert mapping.organization(org, full_service=True, profile_url=profile_url) == {
        **brief,
        "services": [service],
        "locations": [place],
        "contacts": [{"id": ids.contact_id(org.uuid), "organization_id": org.uuid, "email": org.email}],
        "phones": [{"id": ids.phone_id(org.uuid), "organization_id": org.uuid, "number": "+237 600 000 001"}],
        "attributes": [
            attribute(org.uuid, "organization", *vocabulary_term(n, c)) for n, c in ORGANIZATION_TERMS
        ],
    }
    assert mapping.organization(org, full=False, profile_url=profile_url) == brief
    assert mapping.service(org, "training", profile_url=profile_url) == service
    assert mapping.services(org, profile_url=profile_url) == [service]
    short = {
        k: v for k, v in service.items() if k not in ("service_areas", "languages", "service_at_locations")
    }
    assert mapping.service(org, "training", full=False, profile_url=profile_url) == {
        k: v for k, v in short.items() if k != "attributes"
    }
    assert mapping.organization(org, profile_url=profile_url)["services"] == [
        {k: v for k, v in short.items() if k != "attributes"}
    ]
    assert mapping.location(org) == place
    assert mapping.service_at_location(org, "training") == service["service_at_locations"][0]
    assert mapping.service_at_location(org, "training", full=False) == {
        "id": ids.service_at_location_id(sid),
        "service_id": sid,
        "location_id": place["id"],
    }
    assert mapping.service_at_locations(org) == service["service_at_locations"]
    assert mapping.assured_date(org) == "2026-11-02"


def test_contacts_that_are_not_public_are_left_out(make: Callable[..., Organization]) -> None:
    org = make(
        email="agencies@example.org",
        email_visibility="verified_agencies",
        phone="+237 600 000 002",
        phone_visibility="after_accept",
    )
    out = mapping.organization(org)
    assert "email" not in out and out["contacts"] == [] and out["phones"] == []
    assert "email" not in mapping.organization(org, full=False)


def test_a_public_phone_without_a_public_email(make: Callable[..., Organization]) -> None:
    org = make(
        phone="+237 600 000 003",
        phone_visibility="public",
        email="x@example.org",
        email_visibility="after_accept",
    )
    out = mapping.organization(org)
    assert out["phones"] == [
        {"id": ids.phone_id(org.uuid), "organization_id": org.uuid, "number": "+237 600 000 003"}
    ]
    assert out["contacts"] == []


def test_city_precision_publishes_the_city_point(make: Callable[..., Organization]) -> None:
    org = make(location_precision="city")
    place = mapping.location(org)
    assert place is not None
    assert (place["name"], place["locality"]) == ("Douala, Cameroon", "Douala")
    assert (place["latitude"], place["longitude"]) != TRUE_POINT
    loc = org.location
    assert (place["latitude"], place["longitude"]) == (
        round(loc.public_latitude, 5),
        round(loc.public_longitude, 5),
    )


def test_country_precision_names_the_country_only(make: Callable[..., Organization]) -> None:
    org = make(location_precision="country")
    place = expected_location(org, name="Cameroon")
    for key in ("locality", "latitude", "longitude"):
        del place[key]
    assert mapping.location(org) == place
    assert mapping.organization(org)["locations"] == [place]


def test_a_hidden_listing_has_no_location(make: Callable[..., Organization]) -> None:
    org = make(location_precision="hidden")
    assert mapping.location(org) is None
    assert mapping.organization(org)["locations"] == []
    assert mapping.service(org, "training")["service_at_locations"] == []
    assert mapping.service_at_location(org, "training") is None
    assert mapping.service_at_locations(org) == []


def test_what_is_left_out_when_unknown(make: Callable[..., Organization]) -> None:
    org = make(description="", summary="A summary.", year_incorporated=None)
    org.website = "exact.example.org"  # as an old row may hold it: not a web address, so not sent
    out = mapping.organization(org, full=False)
    assert out == {"id": org.uuid, "name": "Exact Public", "description": "A summary."}
    assert "assured_date" not in mapping.service(org, "training") and mapping.assured_date(org) is None
    assert mapping.organization(make(description="  ", summary=" "), full=False)["description"] == (
        "A survivor-led organization listed in this directory."
    )
    org.website = " http://plain.example.org "
    assert mapping.organization(org, full=False)["website"] == "http://plain.example.org"


def test_a_listing_not_taking_requests_is_temporarily_closed(make: Callable[..., Organization]) -> None:
    org = make()
    org.accepting_requests = False
    assert mapping.service(org, "training", full=False)["status"] == "temporarily closed"


def test_every_service_offered_in_vocabulary_order(make: Callable[..., Organization]) -> None:
    org = make(services=["training", "consulting"])
    assert mapping.service_codes(org) == org.term_codes("service")
    assert [s["name"] for s in mapping.services(org)] == [
        mapping.taxonomy_term("service", code)["name"] for code in org.term_codes("service")
    ]
    assert len(mapping.service_at_locations(org)) == 2


def test_the_last_change_is_to_the_second(make: Callable[..., Organization]) -> None:
    org = make()
    org.updated_at = datetime(2026, 11, 30, 8, 5, 9, 123456, tzinfo=UTC)
    assert mapping.last_modified(org) == "2026-11-30T08:05:09+00:00"


def test_terms_are_in_english_outside_any_request() -> None:
    """A command-line export has no reader: names and the language of each term are English."""
    assert mapping.taxonomy_term("focus", "housing", detail=False) == term(*HOUSING)


def test_a_term_is_worked_out_once_per_language(context: None) -> None:
    """Listings name dozens of terms: each is the same object each time (so it must never be changed)."""
    assert mapping.taxonomy_term("focus", "housing") is mapping.taxonomy_term("focus", "housing")
    with force_locale("fr"):
        assert mapping.taxonomy_term("focus", "housing")["language"] == "fr"


def test_the_api_says_which_hsds_version_it_follows(app: Flask) -> None:
    assert app.test_client().get("/hsds/").json == {"version": "3.0"}


def test_taxonomies_and_their_terms(context: None) -> None:
    from directory import vocab

    focus = {
        "id": ids.taxonomy_id("focus"),
        "name": "Focus area",
        "description": str(vocab.TAXONOMY_DESCRIPTIONS["focus"]),
    }
    assert mapping.taxonomy("focus") == focus
    assert [t["id"] for t in mapping.taxonomies()] == [ids.taxonomy_id(name) for name in vocab.TAXONOMIES]
    assert mapping.taxonomy_term("focus", "housing") == {**term(*HOUSING), "taxonomy_detail": focus}
    assert mapping.taxonomy_term("focus", "housing", detail=False) == term(*HOUSING)
    every = mapping.taxonomy_terms()
    assert every == [(name, code) for name, terms in vocab.TAXONOMIES.items() for code in terms]
    assert mapping.terms_by_id()[ids.taxonomy_term_id("focus", "housing")] == ("focus", "housing")
    assert len(mapping.terms_by_id()) == len(every)
    assert mapping.taxonomies_by_id() == {ids.taxonomy_id(name): name for name in vocab.TAXONOMIES}


def test_names_follow_the_language_in_force(make: Callable[..., Organization]) -> None:
    org = make()
    with force_locale("fr"):
        service = mapping.service(org, "training")
        place = mapping.location(org)
    assert service["service_areas"][0]["name"] == "Cameroun"
    assert service["languages"][0]["name"] == "français"
    assert service["attributes"][0]["taxonomy_term"]["language"] == "fr"
    assert service["attributes"][0]["taxonomy_term"]["name"] != "Training"
    assert place is not None and place["languages"][0]["name"] == "français"
