"""Before and after, side by side: two versions of the app served at once on the same database, the same
distinct queries sent to each at concurrency 1, the two taking turns.

    python bench/ab_bench.py --before 185ab15                 # that commit against the working tree
    python bench/ab_bench.py --before A --after B --kinds text-few,near --backend postgresql --pg URL

A change that saves a tenth of a request is smaller than this machine's drift over the minutes a
benchmark takes (a shared virtual machine: a third and more within the hour), so timing one version and
then the other says little. Here both run at once, each under its own gunicorn with ``gunicorn.conf.py``
(the index built before the fork, no result cache), and they take turns every ``--block`` queries, which
version goes first alternating. Each query is sent once to each server, so every answer is computed:
these are the distinct benchmark's load queries (``bench/distinct_bench.py``, the same seed), on its
database (built, or reused with ``--keep``). A hello-world view under the same gunicorn takes its turns
too, as the floor. A version other than the working tree is checked out in a temporary git worktree.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import distinct_bench as d  # noqa: E402
from bench import http_bench  # noqa: E402
from bench.http_bench import ROOT, fetch  # noqa: E402
from bench.search_bench import percentile  # noqa: E402


@contextlib.contextmanager
def checkout(ref: str | None) -> Iterator[Path]:
    """The working tree (``ref`` None), or ``ref`` checked out in a temporary worktree (removed after)."""
    if ref is None:
        yield ROOT
        return
    folder = Path(tempfile.mkdtemp(prefix="ab-")) / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", str(folder), ref], cwd=ROOT, check=True)
    try:
        for catalog in (ROOT / "translations").glob("*/LC_MESSAGES/*.mo"):  # compiled, not committed
            target = folder / catalog.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(catalog, target)
        yield folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=ROOT, check=True)
        shutil.rmtree(folder.parent, ignore_errors=True)


@contextlib.contextmanager
def serve(url: str, root: Path) -> Iterator[str]:
    server, base = http_bench.start_ours(
        url, True, "/login", root=root, RATELIMIT_ENABLED="0", LANGUAGES="en"
    )
    try:
        yield base
    finally:
        server.terminate()
        server.wait()


def timed(url: str) -> float:
    started = time.perf_counter()
    status, _ = fetch(url)
    if status != 200:
        raise SystemExit(f"{status} from {url}")
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="a commit (or any git revision)")
    parser.add_argument("--after", help="a commit; the working tree when left out")
    parser.add_argument("--kinds", help="kinds of query, comma-separated (default: every kind)")
    parser.add_argument("--rows", type=int, default=100000)
    parser.add_argument("--queries", type=int, default=2000, help="distinct queries in the load list")
    parser.add_argument("--block", type=int, default=10, help="queries per turn")
    parser.add_argument("--backend", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--pg", help="PostgreSQL URL; its database <name>_<rows> is created if needed")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="reuse the CSV and database of that size")
    args = parser.parse_args()
    args.current_rows, args.workers = args.rows, None
    kinds = args.kinds.split(",") if args.kinds else list(d.KINDS)

    d.progress(f"{args.rows} rows: data")
    peer_db = d.OUT / f"datasette-{args.rows}" / "bench.db"  # prepare_data makes it too; unused here
    csv_path, _ = http_bench.prepare_data(args.rows, args.keep, "", peer_db)
    words = d.vocabulary(csv_path, random.Random(args.seed))
    url, cluster = d.database(args.backend, args.rows, csv_path, args)
    try:
        rng = random.Random(args.seed)
        places = d.find_places(d.Ours(url, None), words.cities, rng)
        queries = d.build_queries(d.Maker(words, places, rng), args.queries, 36)
        load = [q for q in queries.load if q.kind in kinds]
        with contextlib.ExitStack() as stack:
            roots = {"before": stack.enter_context(checkout(args.before))}
            roots["after"] = stack.enter_context(checkout(args.after))
            d.progress("serving both")
            bases = {name: stack.enter_context(serve(url, root)) for name, root in roots.items()}
            hello = stack.enter_context(d.hello_server(None))
            for base in bases.values():  # both warmed alike, on queries outside the measured list
                for query in queries.reserve:
                    fetch(d.our_url(base, query))
            ms: dict[tuple[str, str], list[float]] = {(n, k): [] for n in bases for k in kinds}
            floor: list[float] = []
            d.progress(f"{len(load)} queries, each once to each version")
            for turn, start in enumerate(range(0, len(load), args.block)):
                order = list(bases.items())
                for name, base in order if turn % 2 == 0 else order[::-1]:
                    for query in load[start : start + args.block]:
                        ms[(name, query.kind)].append(timed(d.our_url(base, query)))
                floor += [timed(hello + "/") for _ in range(2)]
    finally:
        if cluster:
            http_bench.stop_postgresql(cluster)

    after = args.after or "the working tree"
    print(
        f"**Before ({args.before}) and after ({after}), side by side** ({args.backend}, {args.rows:,} rows; "
        f"concurrency 1, turns of {args.block} queries; hello-world p50 {percentile(floor, 50):.2f}, "
        f"p95 {percentile(floor, 95):.2f} ms)\n"
    )
    columns = [
        *("kind", "queries", "before p50 ms", "before p95 ms", "after p50 ms", "after p95 ms"),
        "p50 after/before",
    ]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for kind in kinds:
        b, a = ms[("before", kind)], ms[("after", kind)]
        if not b:
            continue
        ratio = percentile(a, 50) / percentile(b, 50)
        print(
            f"| {kind} | {len(b)} | {percentile(b, 50):.2f} | {percentile(b, 95):.2f} | "
            f"{percentile(a, 50):.2f} | {percentile(a, 95):.2f} | ×{ratio:.2f} |"
        )


if __name__ == "__main__":
    main()
