"""A change to a few listings updates each process's search index in place, and answers exactly as an
index built from scratch would.

Each test builds an index, changes listings the way the app does (through the ORM, so the change rows
are written in the same transaction), and compares this process's updated index with a new engine's
fresh build, over queries that sort every way and filter by every kind of field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from directory.extensions import db
from directory.organizations.models import ListingStatus, Organization, SearchChange
from directory.search import SearchEngine, get_engine, parse_params
from directory.search import index as search_index
from directory.search import sync as search_sync
from directory.search.sync import KEPT_GENERATIONS, bump_generation

QUERIES = [
    {},
    {"q": "fishing"},
    {"q": "fish"},
    {"q": "savings circle"},
    {"sort": "updated"},
    {"sort": "name", "per_page": "3", "page": "2"},
    {"country": "TH"},
    {"focus": "micro-finance"},
    {"q": "fishing", "country": "TH", "sort": "name"},
    {"near": "Bangkok", "radius_km": "2000"},
]


def _answer(engine: SearchEngine, args: dict[str, Any], app: Flask) -> tuple:
    from directory.geo import get_geo

    params = parse_params(MultiDict(args), app.config)
    near = get_geo().resolve(params.near) if params.near else None
    result = engine.search(db.session, params, near)
    hits = [(h.organization.name, round(h.distance_km or 0, 3)) for h in result.hits]
    return result.total, hits, result.facets, engine.matching_ids(db.session, params, near)


def _assert_same_as_fresh(app: Flask) -> None:
    engine = get_engine()
    for args in QUERIES:
        assert _answer(engine, args, app) == _answer(SearchEngine(), args, app), args


@pytest.fixture
def listings(make_org: Callable[..., Organization]) -> list[Organization]:
    made = []
    for i, (name, country, city, focus) in enumerate(
        [
            ("Harbour Fishers Union", "TH", "Bangkok", ["job-training"]),
            ("Seaside Savings Circle", "TH", "Chiang Mai", ["micro-finance"]),
            ("Fishing Futures", "KH", "Phnom Penh", ["job-training", "micro-finance"]),
            ("Net Menders", "VN", "Hanoi", ["entrepreneurship"]),
            ("Anchor House", "TH", "Bangkok", ["mental-health"]),
        ]
    ):
        made.append(
            make_org(
                name=name,
                country_code=country,
                city=city,
                focus=focus,
                summary=f"Survivors of forced labour at sea, group {i}.",
                description="Fishing, savings and training." if i % 2 else "Nets and boats.",
            )
        )
    return made


def test_an_edit_is_laid_over_the_index_without_building_it_again(
    app: Flask, listings: list[Organization]
) -> None:
    before = get_engine().index_cache.get(db.session)
    listings[3].summary = "Now a fishing cooperative too."
    listings[3].name = "Aardvark Nets"  # sorts first now
    db.session.commit()
    after = get_engine().index_cache.get(db.session)
    assert after.base is before.base  # the same index, with the listing read again on top
    assert after.changed == {listings[3].id} and after.overlay_size == 1
    _assert_same_as_fresh(app)


def test_one_change_at_a_time_adds_a_small_layer_and_layers_merge(
    app: Flask, listings: list[Organization]
) -> None:
    base = get_engine().index_cache.get(db.session).base
    for step in range(12):
        org = listings[step % len(listings)]
        org.summary = f"Edited {step} times: boats and nets."
        if step == 7:
            org.status = ListingStatus.SUSPENDED  # leaves search; still a read listing of a layer
        db.session.commit()
        snapshot = get_engine().index_cache.get(db.session)
        assert snapshot.base is base
        # The newest layer read this change's listing, and at most as many as the layers it merged.
        assert org.id in snapshot.layers[-1].ids
        assert len(snapshot.layers) <= len(snapshot.changed).bit_length()
        if step in (0, 3, 7, 11):
            _assert_same_as_fresh(app)
    # A change to the same listing again leaves only its newest entry current.
    assert snapshot.overlay_size == len(listings) - 1


def test_new_withdrawn_and_deleted_listings_are_followed(
    app: Flask, listings: list[Organization], make_org: Callable[..., Organization]
) -> None:
    base = get_engine().index_cache.get(db.session).base
    make_org(name="Mekong Boat Builders", country_code="VN", city="Hanoi", summary="Fishing boats.")
    make_org(name="Pending One", country_code="TH", city="Bangkok", status=ListingStatus.PENDING)
    listings[0].status = ListingStatus.SUSPENDED
    db.session.delete(listings[1])
    db.session.commit()
    snapshot = get_engine().index_cache.get(db.session)
    assert snapshot.base is base
    assert snapshot.live is not None and int(snapshot.live.sum()) == base.size - 2
    _assert_same_as_fresh(app)
    names = [h[0] for h in _answer(get_engine(), {}, app)[1]]
    assert "Mekong Boat Builders" in names and "Pending One" not in names
    assert listings[0].name not in names


def test_a_change_of_unknown_extent_builds_the_index_again(app: Flask, listings: list[Organization]) -> None:
    before = get_engine().index_cache.get(db.session)
    # As a bulk import or a hand-made SQL change does: no change rows, or a row saying "any".
    db.session.execute(db.text("UPDATE organization SET name = 'Zebra ' || name"))
    bump_generation(db.session.connection())
    db.session.commit()
    after = get_engine().index_cache.get(db.session)
    assert after.base is not before.base and not after.layers
    _assert_same_as_fresh(app)


def test_a_generation_without_change_rows_builds_the_index_again(
    app: Flask, listings: list[Organization]
) -> None:
    before = get_engine().index_cache.get(db.session)
    db.session.execute(db.text("UPDATE search_state SET generation = generation + 1"))
    db.session.commit()
    assert get_engine().index_cache.get(db.session).base is not before.base


def test_many_changes_build_the_index_again(
    app: Flask, listings: list[Organization], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_index, "OVERLAY_LIMIT", 2)
    before = get_engine().index_cache.get(db.session)
    for org in listings[:2]:
        org.summary += " Edited."
    db.session.commit()
    assert get_engine().index_cache.get(db.session).base is before.base  # two: within the limit
    listings[2].summary += " Edited."
    db.session.commit()
    after = get_engine().index_cache.get(db.session)
    assert after.base is not before.base and not after.layers
    _assert_same_as_fresh(app)


def test_old_change_rows_are_deleted(app: Flask, listings: list[Organization]) -> None:
    for _ in range(3):
        bump_generation(db.session.connection(), [listings[0].id])
    db.session.execute(
        db.text("UPDATE search_state SET generation = generation + :n"), {"n": KEPT_GENERATIONS}
    )
    bump_generation(db.session.connection(), [listings[1].id])
    db.session.commit()
    kept = db.session.scalars(db.select(SearchChange.organization_id)).all()
    assert kept == [listings[1].id]


def test_a_change_to_more_listings_than_any_overlay_is_recorded_as_a_change_to_any(
    app: Flask, listings: list[Organization], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bulk import's batch: every process builds its index again, so one row says so, not one per id.
    monkeypatch.setattr(search_sync, "OVERLAY_LIMIT", 2)
    monkeypatch.setattr(search_index, "OVERLAY_LIMIT", 2)
    before = get_engine().index_cache.get(db.session)
    generation = before.generation
    bump_generation(db.session.connection(), [org.id for org in listings[:2]])
    db.session.commit()
    assert search_index.changes_since(db.session, generation, generation + 1) == {o.id for o in listings[:2]}
    db.session.execute(db.text("UPDATE organization SET name = 'Zebra ' || name"))
    bump_generation(db.session.connection(), [org.id for org in listings[:3]])
    db.session.commit()
    rows = db.session.execute(
        db.select(SearchChange.organization_id).where(SearchChange.generation == generation + 2)
    ).all()
    assert rows == [(None,)]
    assert search_index.changes_since(db.session, generation + 1, generation + 2) is None
    after = get_engine().index_cache.get(db.session)
    assert after.base is not before.base and not after.layers
    _assert_same_as_fresh(app)
