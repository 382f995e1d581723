"""Members saving the same profile at the same moment, against gunicorn on a committed database.

The race itself is ``bench/race_bench.py`` (the issue's scenario at full size); here it runs smaller, on
the database this suite was given: several members of one organization load the editor, then post
their saves together, round after round, for a draft listing and for an approved one.
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.race_bench import RaceResult, run

pytestmark = pytest.mark.slow

MEMBERS, ROUNDS, WORKERS = 4, 6, 2


@pytest.fixture(scope="module")
def raced(databases: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, RaceResult]:
    url = databases.create(tmp_path_factory.mktemp("race"))
    results = run(url, threads=MEMBERS, rounds=ROUNDS, workers=WORKERS)
    return {"draft" if r.listing.draft else "approved": r for r in results}


def _check_every_round(result: RaceResult) -> None:
    assert len(result.rounds) == ROUNDS
    for n, round_ in enumerate(result.rounds):
        outcomes = sorted(s.outcome for s in round_.saves)
        # exactly one save acknowledged; every other member got both versions side by side
        assert outcomes == ["conflict"] * (MEMBERS - 1) + ["saved"], (
            n,
            [(s.status, s.outcome) for s in round_.saves],
        )
        assert all(s.status < 500 for s in round_.saves)
        # and the acknowledged save is what the database holds
        assert round_.stored is not None and round_.stored.summary == round_.acknowledged[0].text, n


def test_a_draft_saved_by_several_members_at_once_keeps_exactly_the_acknowledged_save(
    raced: dict[str, RaceResult],
) -> None:
    result = raced["draft"]
    _check_every_round(result)
    assert result.final is not None and result.final.pending == 0
    assert result.summary()["acknowledged_missing"] == 0


def test_a_published_listing_gets_one_pending_revision_holding_the_acknowledged_save(
    raced: dict[str, RaceResult],
) -> None:
    result = raced["approved"]
    _check_every_round(result)
    assert all(r.stored is not None and r.stored.pending == 1 for r in result.rounds)
    assert result.final is not None and result.final.pending == 1
    # the public keeps the approved version until an admin decides
    assert result.final.public_summary == "Loans and training for women."
