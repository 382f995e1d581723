"""Open-data benchmark: the HSDS API's pages and the full exports at 100,000 listings, beside Datasette.

    python bench/export_bench.py --rows 100000            # the figures in bench/RESULTS.md
    python bench/export_bench.py --rows 2000 --pages 50   # a quick look

The same data as ``bench/http_bench.py`` (``bench/generate.py``'s CSV, imported with ``flask import-orgs
--approve`` into SQLite; Datasette gets the same rows in one table). Our app runs under gunicorn with
``gunicorn.conf.py``, the result cache off (``SEARCH_CACHE_MB=0``), restarted for each round. Per round:

1. HSDS pages: ``--pages`` distinct pages of ``/hsds/organizations`` (50 a page, page numbers drawn without
   repetition across the whole directory), one at a time and then 8 at a time. The peer: the same number of
   distinct 50-row pages of Datasette's JSON table view (``_next`` keyset at the same offsets).
2. The whole directory as CSV: ``/organizations.csv`` (every listing; the search's CSV with no filter) and
   Datasette's streamed CSV of the table (``_stream=on``); time to the last byte, and bytes.
3. The whole directory in HSDS's tabular form: ``flask export-hsds --refresh`` builds the package (timed,
   with its peak memory, in its own process, as a scheduled job would), then ``/hsds/export.zip`` sends it.

Worker memory: each gunicorn worker's resident memory (``VmRSS`` in ``/proc``) sampled every 20 ms during
each export, against where it was just before; and its peak (``VmHWM``) before and after. The rise is what
the export added to the worker that served it.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT))

from bench import http_bench  # noqa: E402
from bench.http_bench import (  # noqa: E402
    drive,
    fetch,
    prepare_data,
    start_datasette,
)
from bench.search_bench import flask, percentile  # noqa: E402

PER_PAGE = 50
EXPORTS = OUT / "exports"


def start_ours(database_url: str) -> tuple[subprocess.Popen, str]:
    """gunicorn as deployed (gunicorn.conf.py), with the result cache off: every page is computed."""
    return http_bench.start_ours(
        database_url, True, "/hsds/", RATELIMIT_ENABLED="0", LANGUAGES="en", EXPORT_FOLDER=str(EXPORTS)
    )


def workers(master: int) -> dict[int, dict[str, float]]:
    """Each gunicorn worker's resident and peak resident memory, in MB."""
    found: dict[int, dict[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) != master:
                continue
            values = {}
            for line in (entry / "status").read_text().splitlines():
                key = line.split(":", 1)[0]
                if key in ("VmRSS", "VmHWM"):
                    values[key] = int(line.split()[1]) / 1024
            found[int(entry.name)] = values
        except (OSError, ValueError, IndexError):
            continue
    return found


def timed_download(url: str) -> tuple[float, int, bytes]:
    """Seconds to the last byte, the status, and the body."""
    started = time.perf_counter()
    status, body = fetch(url)
    return time.perf_counter() - started, status, body


def export(master: int | None, url: str) -> dict[str, float]:
    """One full download; with ``master``, how far any worker's resident memory rose above where it was
    before (sampled every 20 ms while the download ran), and its peak resident memory (``VmHWM``) rise."""
    before = workers(master) if master else {}
    highest: dict[int, float] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for pid, values in workers(master).items():  # type: ignore[arg-type]
                highest[pid] = max(highest.get(pid, 0.0), values["VmRSS"])
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    if master:
        sampler.start()
    try:
        seconds, status, body = timed_download(url)
    finally:
        done.set()
        if master:
            sampler.join()
    if status != 200:
        raise SystemExit(f"{status} from {url}")
    result = {"s": seconds, "mb": len(body) / 1e6, "lines": body.count(b"\n")}
    if master:
        after = workers(master)
        result["worker_peak_rise_mb"] = max(
            after[pid]["VmHWM"] - before.get(pid, after[pid])["VmHWM"] for pid in after
        )
        result["worker_rss_rise_mb"] = max(
            highest.get(pid, 0.0) - before[pid]["VmRSS"] for pid in before if pid in highest
        )
        result["worker_rss_mb"] = max(values["VmRSS"] for values in after.values())
    return result


def pages(base: str, server: str, numbers: list[int]) -> list[tuple[str, str]]:
    if server == "ours":
        return [("page", f"{base}/hsds/organizations?page={n}&per_page={PER_PAGE}") for n in numbers]
    # Datasette pages by keyset; on a rowid table the token is the last id of the previous page.
    return [
        ("page", f"{base}/bench/organizations.json?_size={PER_PAGE}&_next={(n - 1) * PER_PAGE}")
        for n in numbers
    ]


def figures(values: list[float]) -> str:
    return f"p50 {statistics.median(values):.1f} ms, p95 {percentile(values, 95):.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=300, help="distinct HSDS pages per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="reuse the CSV and databases in bench/out")
    args = parser.parse_args()
    rng = random.Random(11)
    csv_path, ds_path = prepare_data(args.rows, args.keep, f"; {args.rows} listings, {args.rounds} rounds")
    db_path = OUT / f"export-{args.rows}.sqlite3"
    url = f"sqlite:///{db_path}"
    if not (args.keep and db_path.exists()):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        env = {**os.environ, "DATABASE_URL": url}
        flask("db", "upgrade", env=env)
        print(f"import: {flask('import-orgs', '--approve', str(csv_path), env=env):.1f} s")

    env = {**os.environ, "DATABASE_URL": url, "LANGUAGES": "en", "EXPORT_FOLDER": str(EXPORTS)}
    shutil.rmtree(EXPORTS, ignore_errors=True)  # built from nothing, as after a change
    started = time.perf_counter()
    refresh = subprocess.run(
        ["/usr/bin/time", "-f", "%M", str(BIN / "flask"), "--app", "wsgi", "export-hsds", "--refresh"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    peak_mb = int(refresh.stderr.strip().splitlines()[-1]) / 1024
    print(
        f"HSDS package built by flask export-hsds --refresh: {time.perf_counter() - started:.1f} s, "
        f"peak memory {peak_mb:.0f} MB (one language)"
    )

    last_page = args.rows // PER_PAGE
    rows: dict[str, list[str]] = {}
    for round_number in range(1, args.rounds + 1):
        numbers = rng.sample(range(1, last_page + 1), min(args.pages, last_page))
        print(f"\n## round {round_number}")
        for server in ("datasette", "ours"):
            process, base = start_datasette(ds_path) if server == "datasette" else start_ours(url)
            try:
                single = drive(pages(base, server, numbers[: len(numbers) // 2]), 1)
                eight = drive(pages(base, server, numbers[len(numbers) // 2 :]), 8)
                master = process.pid if server == "ours" else None
                csv_url = (
                    f"{base}/organizations.csv"
                    if server == "ours"
                    else f"{base}/bench/organizations.csv?_stream=on&_size=max"
                )
                full = export(master, csv_url)
                line = (
                    f"{server:9} pages c=1 {figures(single.all())}; c=8 {eight.rate():.0f}/s "
                    f"{figures(eight.all())}; CSV {full['s']:.1f} s ({full['mb']:.0f} MB, "
                    f"{full['lines']:,} lines)"
                )
                if master:
                    line += (
                        f", worker RSS +{full['worker_rss_rise_mb']:.0f} MB while it ran, peak "
                        f"+{full['worker_peak_rise_mb']:.0f} MB (worker RSS {full['worker_rss_mb']:.0f} MB)"
                    )
                    zipped = export(master, f"{base}/hsds/export.zip")
                    line += (
                        f"; HSDS zip {zipped['s']:.1f} s ({zipped['mb']:.0f} MB), "
                        f"worker RSS +{zipped['worker_rss_rise_mb']:.0f} MB"
                    )
                print(line)
                rows.setdefault(server, []).append(line)
            finally:
                process.terminate()
                process.wait()
    print("\n## all rounds")
    for lines in rows.values():
        for line in lines:
            print(line)


if __name__ == "__main__":
    main()
