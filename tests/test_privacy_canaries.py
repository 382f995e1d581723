"""Privacy canaries: a recognisable value in every field the public may not see, then every export, API and
public page is searched for them. Expected hits: none.

The canaries: the true coordinates of listings at every precision (an exact listing's are published only
rounded to 5 decimals, so its canary is the finer digits), the city of a country-precision and of a hidden
listing, contacts and phones seen only by verified agencies or after a partnership is accepted, and every
text of listings that are not published (draft, pending, changes requested, rejected, suspended). The
model has no street address; when one is added, give it a canary in ``_plant``.

To extend: add the address to ``PUBLIC_URLS`` (checked for an anonymous visitor) and, if the answer must
be the same whoever asks (exports, searches), to ``SAME_FOR_EVERYONE`` too (also checked for a signed-in
verified agency, which may see restricted contacts on a profile, and an admin). ``{slug}``, ``{org_id}``
and ``{uuid}`` are filled in with every planted listing, published or not (an unpublished one must answer
without its data: 404). A zip's tables are read unzipped.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from directory.extensions import db
from directory.organizations.models import ListingStatus, Location, Organization, Visibility

from .test_access_matrix import _client, people  # noqa: F401  (the signed-in people, reused)

#: Exports and searches: the same public data whoever asks.
SAME_FOR_EVERYONE = [
    "/organizations.csv",
    "/organizations.csv?q=listing",
    "/organizations.csv?country=CM&sort=updated",
    "/organizations.csv?near=Douala&radius_km=2000",
    "/organizations",
    "/organizations?q=listing&per_page=100",
    "/organizations?near=Douala&radius_km=2000&per_page=100",
    "/api/v1/organizations?per_page=100",
    "/api/v1/organizations?q=listing&per_page=100",
    "/api/v1/organizations?near=Douala&radius_km=2000&per_page=100",
    "/api/v1/organizations.geojson",
    "/api/v1/organizations.geojson?near=Douala&radius_km=2000",
    # The HSDS API, whole objects, and the whole directory in HSDS's tabular form (its tables read unzipped).
    "/hsds/organizations?full_service=true&per_page=100",
    "/hsds/services?full=true&per_page=100",
    "/hsds/service_at_locations?full=true&per_page=100",
    "/hsds/organizations?search=listing&full=true&per_page=100",
    "/hsds/export.zip",
]

#: Everything an anonymous visitor may read.
PUBLIC_URLS = [
    *SAME_FOR_EVERYONE,
    "/",
    "/sitemap.xml",
    "/organizations/{slug}",
    "/organizations/{slug}/report",
    "/api/v1/organizations/{slug}",
    "/hsds/organizations/{uuid}?full_service=true",
    "/hsds/services?organization_id={uuid}&full=true",
]

#: Roles of tests/test_access_matrix.py who may see more than the public somewhere (profiles, admin pages).
TRUSTED_ROLES = ("agency_verified", "admin")


@dataclass(frozen=True)
class Canary:
    """A value that must never be shown, and where it was planted."""

    value: str
    where: str


def _digits(value: float) -> list[str]:
    """How a coordinate could be written: 4, 5 and 6 decimals and in full."""
    return [f"{value:.4f}", f"{value:.5f}", f"{value:.6f}", repr(value)]


def _plant(make_org: Callable[..., Organization]) -> tuple[list[Organization], list[Canary]]:
    """The listings, and the canaries planted in what the public may not see of them."""
    canaries: list[Canary] = []
    listings: list[Organization] = []

    def coordinates(lat: float, lon: float, where: str, fine_only: bool = False) -> None:
        for value in (lat, lon):
            ways = _digits(value)[2:] if fine_only else _digits(value)
            canaries.extend(Canary(way, f"{where}: true coordinate") for way in ways)

    restricted = {
        "email": "restricted-canary@example.org",
        "email_visibility": Visibility.VERIFIED_AGENCIES,
        "phone": "+237 6 11 22 33 44",
        "phone_visibility": Visibility.AFTER_ACCEPT,
    }
    # Exact: the true point is published, but only to 5 decimals.
    exact = make_org(
        name="Listing Exact", location_precision="exact", latitude=4.0527183, longitude=9.7011937
    )
    coordinates(4.0527183, 9.7011937, "exact", fine_only=True)
    # City: the city's point is published, never the true one.
    city = make_org(
        name="Listing City", location_precision="city", latitude=4.1234567, longitude=9.8765432, **restricted
    )
    coordinates(4.1234567, 9.8765432, "city")
    canaries += [Canary("restricted-canary@example.org", "verified agencies' email")]
    canaries += [Canary(way, "after-accept phone") for way in ("+237 6 11 22 33 44", "611223344")]
    # Country: neither the true point nor the city.
    country = make_org(
        name="Listing Country",
        location_precision="country",
        city="Canaryville",
        latitude=5.4321987,
        longitude=10.2345678,
        email="after-accept-canary@example.org",
        email_visibility=Visibility.AFTER_ACCEPT,
        phone="+237 6 55 66 77 88",
        phone_visibility=Visibility.VERIFIED_AGENCIES,
    )
    coordinates(5.4321987, 10.2345678, "country")
    canaries += [Canary("Canaryville", "country precision: city"), Canary("after-accept-canary", "email")]
    canaries += [Canary(way, "verified agencies' phone") for way in ("+237 6 55 66 77 88", "655667788")]
    # Hidden: no point, no city.
    hidden = make_org(
        name="Listing Hidden",
        location_precision="hidden",
        city="Hiddencanarytown",
        latitude=6.5432198,
        longitude=12.3456789,
    )
    coordinates(6.5432198, 12.3456789, "hidden")
    canaries += [Canary("Hiddencanarytown", "hidden: city")]
    listings += [exact, city, country, hidden]
    # Listings that are not published: nothing of them at all.
    for status in (
        ListingStatus.DRAFT,
        ListingStatus.PENDING,
        ListingStatus.CHANGES_REQUESTED,
        ListingStatus.REJECTED,
        ListingStatus.SUSPENDED,
    ):
        tag = f"CANARY-{status.value.upper().replace('_', '-')}"
        listings.append(
            make_org(
                status=status,
                name=f"Listing {tag}-NAME",
                summary=f"{tag}-SUMMARY",
                description=f"{tag}-DESCRIPTION",
                website=f"https://{tag.lower()}-site.example.org",
                email=f"{tag.lower()}@example.org",
                email_visibility=Visibility.PUBLIC,
                phone="+237 6 00 00 00 0" + str(len(listings)),
                phone_visibility=Visibility.PUBLIC,
                city=f"{tag}-CITY",
                location_precision="exact",
                latitude=3.9876543,
                longitude=11.6543219,
                focus=["housing"],
            )
        )
        canaries += [Canary(f"{tag}-{part}", f"{status.value} listing") for part in ("NAME", "SUMMARY")]
        canaries += [Canary(f"{tag}-{part}", f"{status.value} listing") for part in ("DESCRIPTION", "CITY")]
        canaries += [Canary(f"{tag.lower()}@example.org", f"{status.value} listing: email")]
        canaries += [Canary(f"{tag.lower()}-site", f"{status.value} listing: website")]
    coordinates(3.9876543, 11.6543219, "unpublished listings")
    db.session.commit()
    return listings, canaries


def _urls(templates: list[str], listings: list[Organization]) -> Iterator[str]:
    for template in templates:
        if "{" not in template:
            yield template
            continue
        for org in listings:
            yield template.format(slug=org.slug, org_id=org.id, uuid=org.uuid)


def _hits(client: FlaskClient, urls: Iterator[str], canaries: list[Canary]) -> list[str]:
    found = []
    pattern = re.compile("|".join(re.escape(c.value) for c in canaries))
    where = {c.value: c.where for c in canaries}
    for url in urls:
        response = client.get(url, headers={"Accept-Language": "en"})
        assert response.status_code in (200, 404), f"{url}: {response.status_code}"
        if response.mimetype == "application/zip":
            with zipfile.ZipFile(io.BytesIO(response.get_data())) as package:
                text = "".join(package.read(name).decode("utf-8") for name in package.namelist())
        else:
            text = response.get_data(as_text=True)
        text += str(response.headers)
        found += [f"{url}: {m.group(0)!r} ({where[m.group(0)]})" for m in pattern.finditer(text)]
    return found


@pytest.fixture
def planted(app: Flask, make_org: Callable[..., Organization]) -> tuple[list[Organization], list[Canary]]:
    app.config["RATELIMIT_EXPORTS"] = "1000 per hour"
    return _plant(make_org)


def test_the_canaries_are_really_there(planted: tuple[list[Organization], list[Canary]]) -> None:
    """The check below means something: the values are stored where the test says."""
    listings, _canaries = planted
    locations = {o.name: db.session.get(Location, o.location.id) for o in listings if o.location}
    assert locations["Listing City"].true_latitude == pytest.approx(4.1234567)
    assert locations["Listing Hidden"].locality == "Hiddencanarytown"
    assert locations["Listing Hidden"].true_longitude == pytest.approx(12.3456789)
    assert locations["Listing Exact"].true_latitude == pytest.approx(4.0527183)
    assert locations["Listing Country"].locality == "Canaryville"
    city = next(o for o in listings if o.name == "Listing City")
    assert city.email == "restricted-canary@example.org"


def test_no_canary_reaches_an_anonymous_visitor(
    client: FlaskClient, planted: tuple[list[Organization], list[Canary]]
) -> None:
    listings, canaries = planted
    assert _hits(client, _urls(PUBLIC_URLS, listings), canaries) == []


@pytest.mark.parametrize("role", TRUSTED_ROLES)
def test_exports_and_searches_show_trusted_people_only_the_public_data(
    app: Flask,
    people: dict[str, Any],  # noqa: F811
    planted: tuple[list[Organization], list[Canary]],
    role: str,
) -> None:
    listings, canaries = planted
    client = _client(app, role, people)
    if role == "agency_verified":
        # The same person does see the restricted phone on the profile: the canary can be seen at all.
        profile = client.get("/organizations/listing-country", headers={"Accept-Language": "en"})
        assert "+237 6 55 66 77 88" in profile.get_data(as_text=True)
    assert _hits(client, _urls(SAME_FOR_EVERYONE, listings), canaries) == []


def test_no_canary_reaches_the_command_line_exports(
    app: Flask, planted: tuple[list[Organization], list[Canary]], tmp_path: Any
) -> None:
    """``flask export-hsds`` (JSON, and the tabular zip) writes what the public sees, nothing more."""
    _listings, canaries = planted
    pattern = re.compile("|".join(re.escape(c.value) for c in canaries))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["export-hsds", str(tmp_path / "out.json")]).exit_code == 0
    assert runner.invoke(args=["export-hsds", "--tabular", str(tmp_path / "out.zip")]).exit_code == 0
    text = (tmp_path / "out.json").read_text(encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "out.zip") as package:
        text += "".join(package.read(name).decode("utf-8") for name in package.namelist())
    assert "Listing City" in text  # the published listings are there
    assert [m.group(0) for m in pattern.finditer(text)] == []
