"""The lists that steer ``make mutate`` (tests/mutation/) still match the code: every module and test file
exists, and every mutant listed as equivalent is still one mutmut makes of the current code, so the list
cannot silently name code that is gone. Fast: mutants are listed, never run."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.mutation.mutants import ROOT, load_equivalents, load_modules, mutants
from tests.mutation.run_tests import folded

MODULES, THRESHOLD = load_modules()
EQUIVALENTS = load_equivalents()


def test_every_module_and_test_file_exists() -> None:
    assert MODULES and 0 < THRESHOLD <= 100
    for module, tests in MODULES.items():
        assert (ROOT / module).is_file(), module
        assert tests, module
        for test_file in tests:
            assert (ROOT / test_file).is_file(), (module, test_file)


@pytest.mark.parametrize("module", sorted({e.module for e in EQUIVALENTS}))
def test_every_listed_equivalent_mutant_is_still_made_of_the_code(module: str) -> None:
    assert module in MODULES, f"{module} is listed in equivalent.toml but not mutated (modules.toml)"
    listed = [e for e in EQUIVALENTS if e.module == module]
    made = {m.key for m in mutants(module, lines={e.line for e in listed})}
    gone = [f"{e.line} -> {e.mutated}" for e in listed if e.key not in made]
    assert not gone, f"equivalent.toml names mutants {module} no longer has: {gone}"
    assert all(e.reason.strip() for e in listed)


def test_no_mutant_is_listed_twice() -> None:
    twice = [key for key, n in Counter(e.key for e in EQUIVALENTS).items() if n > 1]
    assert not twice


def test_a_mutant_that_breaks_the_import_counts_as_killed() -> None:
    """mutmut 2 counts only status 1 as killed: collection errors (2), no tests (5) and the rest fold to 1."""
    assert folded(0) == 0
    assert [folded(status) for status in (1, 2, 3, 4, 5, -9)] == [1] * 6
