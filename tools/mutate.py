"""``make mutate``: mutation testing of the rule modules, each against its own test files.

For each module in ``tests/mutation/modules.toml`` this copies the checkout to a temporary folder (the
checkout itself is never mutated, and modules can run side by side), runs mutmut 2 there on that module
with ``tests/mutation/run_tests.py`` and that module's test files as the test command, then reads mutmut's
results. Mutants listed in ``tests/mutation/equivalent.toml`` are set aside; the score is the share of the
other mutants the tests killed (a time-out counts as killed, and so does a kill mutmut calls "suspicious"
because it was slow). Prints every survivor and each module's score; exits 1 when a module is below the
threshold, or when a mutant listed as equivalent was killed.

Usage: ``python tools/mutate.py [--jobs N] [--keep DIR] [MODULE ...]`` (default: every module, one at a
time); ``--rescore DIR`` scores the results kept by ``--keep DIR`` again, after equivalent.toml changed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.mutation.mutants import Mutant, load_equivalents, load_modules, mutants  # noqa: E402

#: Not copied: version control, virtualenvs, caches, and what earlier runs left.
_IGNORED = shutil.ignore_patterns(
    ".git", ".venv*", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis", ".mutmut-cache"
)
#: mutmut's "suspicious" is a mutant the tests killed, only more slowly than the baseline run.
_KILLED = ("ok_killed", "ok_suspicious", "bad_timeout")


@dataclass
class Score:
    """One module's result."""

    module: str
    total: int = 0
    killed: int = 0
    equivalent: int = 0
    timed_out: int = 0
    survivors: list[Mutant] = field(default_factory=list)
    killed_but_listed: list[Mutant] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def percent(self) -> float:
        counted = self.total - self.equivalent
        return 100.0 * self.killed / counted if counted else 100.0

    @property
    def percent_without_timeouts(self) -> float:
        """The score counting no time-out as a kill (on a busy machine a survivor can time out)."""
        counted = self.total - self.equivalent
        return 100.0 * (self.killed - self.timed_out) / counted if counted else 100.0


def _statuses(cache: Path) -> dict[tuple[int, int], str]:
    """(line number from 1, index on the line) -> mutmut's status, from its cache."""
    with sqlite3.connect(cache) as connection:
        rows = connection.execute(
            'SELECT l.line_number, m."index", m.status FROM Mutant m JOIN Line l ON m.line = l.id'
        ).fetchall()
    return {(line_number + 1, index): status for line_number, index, status in rows}


def _start_server(path: Path, copy: Path) -> tuple[subprocess.Popen[bytes], dict[str, str] | None]:
    """Start the fork server of tests/mutation/run_tests.py in ``copy``; the environment that sends the
    test command to it (None if it did not start: then each run starts its own pytest)."""
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "tests/mutation/run_tests.py", "--serve", str(path)],
        cwd=copy,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(1200):  # it imports the libraries first
        if path.exists() or server.poll() is not None:
            break
        time.sleep(0.1)
    return server, ({**os.environ, "MUTATE_SERVER": str(path)} if path.exists() else None)


def _cache_name(module: str) -> str:
    return module.replace("/", "__") + ".mutmut-cache"


def run_module(module: str, tests: list[str], keep: Path | None = None, fast: bool = False) -> Score:
    """Mutate ``module`` in a copy of the checkout and score what its tests kill; ``keep``: a folder to
    keep mutmut's results in (to score them again with :func:`score_module`)."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mutate-") as folder:
        copy = Path(folder) / "repo"
        shutil.copytree(ROOT, copy, ignore=_IGNORED, symlinks=True)
        runner = f"{sys.executable} tests/mutation/run_tests.py {' '.join(tests)}"
        server, env = _start_server(Path(folder) / "runner.sock", copy) if fast else (None, None)
        try:
            subprocess.run(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "mutmut",
                    "run",
                    "--paths-to-mutate",
                    module,
                    "--runner",
                    runner,
                    "--tests-dir",
                    "tests",
                    "--simple-output",
                    "--no-progress",
                ],
                cwd=copy,
                env=env,
                check=False,
                stdout=subprocess.DEVNULL,
            )
        finally:
            if server is not None:
                server.kill()
                server.wait()
        cache = copy / ".mutmut-cache"
        if not cache.exists():
            raise SystemExit(f"{module}: mutmut did not run (do its tests pass without mutations?)")
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(cache, keep / _cache_name(module))
        statuses = _statuses(cache)
    return score_module(module, statuses, time.monotonic() - started)


def score_module(module: str, statuses: dict[tuple[int, int], str], seconds: float = 0.0) -> Score:
    """Score mutmut's results for ``module``, setting aside the mutants listed as equivalent."""
    listed = {e.key for e in load_equivalents() if e.module == module}
    score = Score(module, seconds=seconds)
    for mutant in mutants(module):
        status = statuses.get((mutant.line_number, mutant.index))
        if status is None:
            raise SystemExit(f"{module}: mutmut has no result for {mutant}")
        score.total += 1
        killed = status in _KILLED
        if mutant.key in listed:
            score.equivalent += 1
            if killed and status != "bad_timeout":  # a time-out may be only a busy machine
                score.killed_but_listed.append(mutant)
        elif killed:
            score.killed += 1
            score.timed_out += status == "bad_timeout"
        else:
            score.survivors.append(mutant)
    return score


def report(score: Score, threshold: int) -> bool:
    """Print a module's survivors and score; True when it passes."""
    for m in score.survivors:
        mutated = m.mutated.replace("\n", " / ")
        print(f"  survived  {m.module}:{m.line_number}  {m.line}\n            -> {mutated}")
    for m in score.killed_but_listed:
        print(f"  KILLED but listed as equivalent: {m.module}:{m.line_number}  {m.line} -> {m.mutated}")
    ok = score.percent >= threshold and not score.killed_but_listed
    print(
        f"{score.module}: {score.total} mutants, {score.killed} killed ({score.timed_out} by a time-out), "
        f"{score.equivalent} equivalent, "
        f"{len(score.survivors)} survived: {score.percent:.1f}% of non-equivalent mutants killed "
        f"({score.percent_without_timeouts:.1f}% without the time-outs) "
        f"({'ok' if ok else f'below {threshold}%'}; {score.seconds:.0f} s)",
        flush=True,
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="modules to mutate (default: all in modules.toml)")
    parser.add_argument("--jobs", type=int, default=1, help="modules mutated at once")
    parser.add_argument("--keep", type=Path, help="a folder to keep mutmut's results in")
    parser.add_argument(
        "--fast",
        action="store_true",
        help="run each mutant's tests in a fork of a process that imported the libraries once (about four "
        "times quicker; on a busy machine it let some killed mutants pass as survivors: recheck them)",
    )
    parser.add_argument(
        "--rescore", type=Path, help="score the results kept in this folder again (nothing is mutated)"
    )
    args = parser.parse_args(argv)
    configured, threshold = load_modules()
    chosen = args.modules or list(configured)
    unknown = [m for m in chosen if m not in configured]
    if unknown:
        parser.error(f"not in tests/mutation/modules.toml: {', '.join(unknown)}")
    started = time.monotonic()
    if args.rescore:
        scores = [score_module(m, _statuses(args.rescore / _cache_name(m))) for m in chosen]
        results = [report(score, threshold) for score in scores]
    else:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [pool.submit(run_module, m, configured[m], args.keep, args.fast) for m in chosen]
            results = [report(future.result(), threshold) for future in futures]
    elapsed = time.monotonic() - started
    print(f"{len(chosen)} modules in {elapsed:.0f} s; {sum(results)} at or above {threshold}%")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
