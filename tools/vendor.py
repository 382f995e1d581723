"""Refresh the front-end files vendored into ``static/vendor/`` from their npm packages (``make vendor``).

Each package is pinned to one version and to the integrity hash npm publishes for its tarball, so a
refresh is reproducible: ``npm pack`` fetches the tarball from the registry npm is configured for, the
hash is checked, and only the files listed here (with the package's licence and ``package.json``, which
records the version) are copied into ``static/vendor/<package>/``. No CDN is ever involved: the site
serves these copies itself. To upgrade, change a version and its integrity (``npm view PACKAGE@VERSION
dist.integrity``), run ``make vendor`` and commit the result.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"


@dataclass(frozen=True)
class Package:
    version: str
    integrity: str  # npm's dist.integrity of the tarball
    files: dict[str, str]  # path in the package -> path under static/vendor/<name>/


PACKAGES: dict[str, Package] = {
    "leaflet": Package(
        "1.9.4",
        "sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA==",
        {
            "LICENSE": "LICENSE",
            "package.json": "package.json",
            "dist/leaflet.js": "leaflet.js",
            "dist/leaflet.css": "leaflet.css",
            # leaflet.css refers to these as images/...; the default marker reads its path from the CSS.
            "dist/images/layers.png": "images/layers.png",
            "dist/images/layers-2x.png": "images/layers-2x.png",
            "dist/images/marker-icon.png": "images/marker-icon.png",
            "dist/images/marker-icon-2x.png": "images/marker-icon-2x.png",
            "dist/images/marker-shadow.png": "images/marker-shadow.png",
        },
    ),
    "leaflet.markercluster": Package(
        "1.5.3",
        "sha512-vPTw/Bndq7eQHjLBVlWpnGeLa3t+3zGiuM7fJwCkiMFq+nmRuG3RI3f7f4N4TDX7T4NpbAXpR2+NTRSEGfCSeA==",
        {
            "MIT-LICENCE.txt": "MIT-LICENCE.txt",
            "package.json": "package.json",
            "dist/leaflet.markercluster.js": "leaflet.markercluster.js",
            "dist/MarkerCluster.css": "MarkerCluster.css",
            "dist/MarkerCluster.Default.css": "MarkerCluster.Default.css",
        },
    ),
    # Natural Earth's 1:110m countries as TopoJSON (public domain data; the package's code is ISC).
    "world-atlas": Package(
        "2.0.2",
        "sha512-IXfV0qwlKXpckz1FhwXVwKRjiIhOnWttOskm5CtxMsjgE/MXAYRHWJqgXOpM8IkcPBoXnyTU5lFHcYa5ChG0LQ==",
        {
            "LICENSE": "LICENSE",
            "package.json": "package.json",
            "countries-110m.json": "countries-110m.json",
        },
    ),
}


def integrity_of(path: Path) -> str:
    """The Subresource-Integrity style sha512 of a file, as npm records it."""
    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode()


def fetch(name: str, package: Package, into: Path) -> Path:
    """``npm pack`` the pinned tarball into ``into`` and check its integrity."""
    out = subprocess.run(
        ["npm", "pack", "--json", "--pack-destination", str(into), f"{name}@{package.version}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    tarball = into / json.loads(out)[0]["filename"]
    found = integrity_of(tarball)
    if found != package.integrity:
        raise SystemExit(f"{name}@{package.version}: integrity {found} is not the pinned {package.integrity}")
    return tarball


def extract(name: str, package: Package, tarball: Path, target: Path) -> None:
    """Copy the listed files of the tarball into ``target`` (emptied first)."""
    shutil.rmtree(target, ignore_errors=True)
    with tarfile.open(tarball) as archive:
        for source, dest in package.files.items():
            member = archive.extractfile(f"package/{source}")
            if member is None:
                raise SystemExit(f"{name}@{package.version} has no file {source}")
            path = target / dest
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(member.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="only these packages (default: all)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.names or PACKAGES:
            package = PACKAGES[name]
            tarball = fetch(name, package, Path(tmp))
            extract(name, package, tarball, VENDOR / name)
            print(f"{name}@{package.version} -> {(VENDOR / name).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
