"""The committed lock file (requirements.lock, what deployments install) still matches pyproject.toml.

`make lock` rewrites it; this test fails when someone changes a dependency range and forgets to, or hand-edits
the lock into something pyproject.toml does not allow.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def _direct() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(line) for line in project["dependencies"]]


Pin = tuple[Version, int, set[str]]


def _lock() -> dict[str, list[Pin]]:
    """name -> its pins (one per Python-version marker): (version, number of hashes, what it is there for)."""
    pins: dict[str, list[Pin]] = {}
    text = (ROOT / "requirements.lock").read_text()
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = re.match(r"([A-Za-z0-9._-]+)==([^\s;\\]+)", block)
        if match is None:
            continue
        via = set(re.findall(r"#\s+(?:via )?([A-Za-z0-9._-]+(?: \(pyproject\.toml\))?)$", block, re.M))
        pin = (Version(match[2]), block.count("--hash=sha256:"), via)
        pins.setdefault(canonicalize_name(match[1]), []).append(pin)
    return pins


def test_every_dependency_is_pinned_in_the_lock_within_its_range() -> None:
    pins = _lock()
    for requirement in _direct():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is in pyproject.toml but not in requirements.lock: run make lock"
        for version, _hashes, _via in pins[name]:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"requirements.lock pins {name}=={version}, outside {requirement.specifier}: run make lock"
            )
        for extra in requirement.extras:  # psycopg[binary] brings psycopg-binary
            assert canonicalize_name(f"{name}-{extra}") in pins, f"{name}[{extra}] is not locked"


def test_the_lock_holds_nothing_pyproject_no_longer_asks_for_and_every_pin_has_hashes() -> None:
    pins = _lock()
    direct = {canonicalize_name(r.name) for r in _direct()}
    every = [(name, pin) for name, found in pins.items() for pin in found]
    asked_for = {name for name, (_v, _h, via) in every if "survivor-directory (pyproject.toml)" in via}
    assert asked_for == direct, "requirements.lock was made from another pyproject.toml: run make lock"
    assert all(hashes for _name, (_v, hashes, _via) in every), "every pin needs its hashes (--require-hashes)"


def test_every_dependency_has_a_lower_and_an_upper_bound() -> None:
    for requirement in _direct():
        operators = {spec.operator for spec in requirement.specifier}
        assert ">=" in operators and "<" in operators, f"{requirement} needs both bounds"
