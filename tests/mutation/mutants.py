"""The mutants of a module, named so the name survives unrelated edits, and the two lists that steer
``make mutate``: ``modules.toml`` (module -> its test files) and ``equivalent.toml`` (mutants that change
nothing, each with its reason).

A mutant is named by its module, the source line it changes (as written, without indentation) and what
mutmut turns that line into. A mutant number or a line number would name another mutant after the first
edit above it; this name stays until the line itself changes, and then the CI test
(``tests/test_mutation_config.py``) says the entry no longer names any mutant.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
MODULES_FILE = HERE / "modules.toml"
EQUIVALENT_FILE = HERE / "equivalent.toml"


@dataclass(frozen=True)
class Mutant:
    """One mutation mutmut makes: ``line`` (stripped) becomes ``mutated`` (several lines joined by a
    newline when the mutation spans lines)."""

    module: str
    line_number: int
    line: str
    index: int
    mutated: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.module, self.line, self.mutated)


def _changed_text(before: list[str], after: list[str]) -> str:
    """The lines of ``after`` that differ from ``before``, stripped and joined."""
    changed: list[str] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            changed.extend(line.strip() for line in after[j1:j2])
    return "\n".join(changed) if changed else "(line removed)"


def mutants(module: str, root: Path = ROOT, lines: set[str] | None = None) -> list[Mutant]:
    """Every mutant mutmut 2 makes of ``module`` (a path relative to ``root``), in source order; with
    ``lines``, only the mutants of those source lines (stripped), which is much quicker."""
    from mutmut import Context, list_mutations, mutate

    source = (root / module).read_text(encoding="utf-8")
    before = source.split("\n")
    found = []
    for mutation_id in list_mutations(Context(source=source, filename=module)):
        if lines is not None and mutation_id.line.strip() not in lines:
            continue
        mutated, _count = mutate(Context(source=source, mutation_id=mutation_id, filename=module))
        found.append(
            Mutant(
                module=module,
                line_number=mutation_id.line_number + 1,
                line=mutation_id.line.strip(),
                index=mutation_id.index,
                mutated=_changed_text(before, mutated.split("\n")),
            )
        )
    return found


def load_modules() -> tuple[dict[str, list[str]], int]:
    """Module -> its test files, and the threshold (per cent of non-equivalent mutants to kill)."""
    data = tomllib.loads(MODULES_FILE.read_text(encoding="utf-8"))
    return {module: list(entry["tests"]) for module, entry in data["modules"].items()}, int(data["threshold"])


@dataclass(frozen=True)
class Equivalent:
    """A listed equivalent mutant and why it changes nothing."""

    module: str
    line: str
    mutated: str
    reason: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.module, self.line, self.mutated)


def load_equivalents() -> list[Equivalent]:
    """The mutants listed as equivalent, in file order."""
    data: dict[str, Any] = tomllib.loads(EQUIVALENT_FILE.read_text(encoding="utf-8"))
    return [
        Equivalent(entry["module"], entry["line"], entry["mutated"], entry["reason"])
        for entry in data.get("equivalent", [])
    ]
