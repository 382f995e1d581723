"""HSDS 3.0 in and out through the command line: ``flask export-hsds`` (JSON, and the tabular zip) and
``flask import-hsds``, with the round trip the issue asks for: the demo directory exported, imported into an
empty database and exported again gives the same document, ids included, verification dates aside."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale

from directory import create_app, vocab
from directory.audit.models import AuditEntry
from directory.extensions import db
from directory.hsds import ids
from directory.organizations.models import ListingStatus, Location, Organization

from .conftest import ROOT


def _run(app: Flask, *args: str) -> Any:
    """A command on ``app`` (its own context: the command line would otherwise use the one already open)."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result


def _export(app: Flask, path: Path, *options: str) -> None:
    _run(app, "export-hsds", str(path), *options)


def _import(app: Flask, path: Path, *options: str) -> Any:
    return _run(app, "import-hsds", str(path), *options)


@pytest.fixture
def empty_app(
    databases: Any,
    tmp_path_factory: pytest.TempPathFactory,
    app_config: Callable[[str, Path], dict[str, Any]],
) -> Iterator[Flask]:
    """A second app on an empty database of its own (committed, so the command line sees it)."""
    folder = tmp_path_factory.mktemp("other")
    other = create_app(app_config(databases.create(folder), folder))
    yield other
    with other.app_context():
        db.engine.dispose()


def _without_verification(document: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for organization in document:
        for service in organization.get("services", []):
            service.pop("assured_date", None)
    return document


def test_the_demo_directory_goes_out_and_back_in_unchanged(
    app: Flask, empty_app: Flask, tmp_path: Path
) -> None:
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():  # one listing verified here: its verification must not travel
        org = db.session.scalars(sa.select(Organization).order_by(Organization.id)).first()
        assert org is not None
        org.assured_date = org.created_at
        db.session.commit()
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    _export(app, first)
    exported = json.loads(first.read_text(encoding="utf-8"))
    with app.app_context():
        published = db.session.scalar(
            sa.select(sa.func.count()).where(Organization.status == ListingStatus.APPROVED)
        )
    assert len(exported) == published > 0
    assert any("assured_date" in s for o in exported for s in o.get("services", []))

    result = _import(empty_app, first, "--approve")
    assert f"Imported {published}, skipped 0" in result.output
    _export(empty_app, second)
    again = json.loads(second.read_text(encoding="utf-8"))
    assert not any("assured_date" in s for o in again for s in o.get("services", []))  # not verified here
    assert _without_verification(again) == _without_verification(exported)

    # Importing the same file again finds every listing already there.
    assert f"Imported 0, skipped {published}" in _import(empty_app, first).output


def test_bad_records_are_reported_by_position_and_nothing_of_them_is_written(
    app: Flask, tmp_path: Path
) -> None:
    good = {
        "id": "0b7a5d4e-34f6-4f0e-9d1c-6c1d2a8a9f10",
        "name": "Cercle de Bonabéri",
        "description": "Savings groups run by survivors.",
        "locations": [{"id": "x", "location_type": "physical", "country": "CM", "locality": "Douala"}],
    }
    file = tmp_path / "in.json"
    file.write_text(
        json.dumps(
            {
                "contents": [
                    good,
                    "not an organization",
                    {**good, "id": "not-a-uuid", "name": "Other"},
                    {"name": "Nowhere", "description": "No place at all."},
                    {**good, "id": None, "name": "Bad language", "locations": good["locations"]}
                    | {"services": [{"id": "s", "name": "x", "languages": [{"code": "not a language"}]}]},
                    {**good, "name": "Cercle de Bonabéri"},  # the same listing again
                ]
            }
        ),
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(args=["import-hsds", str(file)])
    assert result.exit_code == 0, result.output
    assert "Imported 1, skipped 1 already in the directory, 4 with errors." in result.output
    for position in (2, 3, 4, 5):
        assert f"organization {position}:" in result.output
    assert "not a UUID" in result.output and "country" in result.output
    organizations = db.session.scalars(sa.select(Organization)).all()
    assert [(o.name, o.uuid, o.status) for o in organizations] == [
        ("Cercle de Bonabéri", good["id"], ListingStatus.PENDING)  # pending until --approve
    ]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Location)) == 1  # no half listing


def test_our_terms_are_taken_and_the_rest_is_kept_for_the_admin(app: Flask, tmp_path: Path) -> None:
    ours = {"id": ids.taxonomy_term_id("focus", "micro-finance")}
    by_code = {"taxonomy_term": {"code": "survivor-founded", "taxonomy_id": ids.taxonomy_id("model")}}
    foreign = {
        "taxonomy_term": {"id": "5a0c7a8e-0000-4000-8000-000000000001", "taxonomy": "211 LA", "name": "Food"}
    }
    organization = {
        "id": "1b7a5d4e-34f6-4f0e-9d1c-6c1d2a8a9f10",
        "name": "Taller de Esperanza",
        "description": "Talleres de oficios.",
        "attributes": [{"taxonomy_term_id": ours["id"]}, by_code, foreign],
        "locations": [
            {
                "id": "l",
                "location_type": "physical",
                "country": "PE",
                "locality": "Lima",
                "latitude": -12.0,
                "longitude": -77.03,
            }  # fmt: skip
        ],
        "services": [
            {
                "id": "s",
                "name": "Job training",
                "status": "active",
                "service_areas": [{"name": "Peru"}, {"name": "Atlantis"}],
                "languages": [{"code": "es"}],
                "assured_date": "2020-01-01",
            }
        ],
    }
    file = tmp_path / "in.json"
    file.write_text(json.dumps([organization]), encoding="utf-8")
    assert "Imported 1" in _import(app, file).output
    org = db.session.scalars(sa.select(Organization)).one()
    assert org.term_codes("focus") == ["micro-finance"] and org.term_codes("model") == ["survivor-founded"]
    assert org.term_codes("service") == []  # "Job training" is not one of our offerings
    assert [a.country_code for a in org.service_areas] == ["PE"]
    assert org.assured_date is None  # verification is never imported
    assert org.location is not None and org.location.location_precision.value == "exact"  # not Lima's point
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "listing.import", AuditEntry.target_id == org.id)
    ).one()
    for kept in ("211 LA / Food", "Offering: Job training", "Area served: Atlantis"):
        assert kept in entry.note, entry.note


def test_the_tabular_export_is_the_published_directory_in_the_specifications_tables(
    app: Flask, tmp_path: Path, make_org: Callable[..., Organization]
) -> None:
    make_org(name="Open Circle", focus=["micro-finance"], services=["training"], serves=["CM"])
    make_org(name="Draft Circle", status=ListingStatus.DRAFT)
    make_org(name="=HYPERLINK(1) Circle")
    path = tmp_path / "directory.zip"
    _export(app, path, "--tabular")
    with zipfile.ZipFile(path) as package:
        description = json.loads(package.read("datapackage.json"))
        names = {r["name"]: r for r in description["resources"]}
        organizations = list(csv.DictReader(io.StringIO(package.read("organizations.csv").decode())))
        terms = list(csv.DictReader(io.StringIO(package.read("taxonomy_terms.csv").decode())))
        services = list(csv.DictReader(io.StringIO(package.read("services.csv").decode())))
    # Never a draft; a cell a spreadsheet would run is neutralised.
    assert [o["name"] for o in organizations] == ["Open Circle", "'=HYPERLINK(1) Circle"]
    assert {
        "organization",
        "service",
        "service_area",
        "attribute",
        "taxonomy",
        "taxonomy_term",
    } <= names.keys()
    assert len(terms) == len({t["id"] for t in terms}) >= 20  # every published term, once
    assert services[0]["organization_id"] == organizations[0]["id"]
    assert organizations[0]["id"] and not organizations[0]["id"].startswith("'")
    schema = json.loads((ROOT / "directory" / "hsds" / "schema" / "service.json").read_text())
    assert [f["name"] for f in names["service"]["schema"]["fields"]] == [
        key for key, value in schema["properties"].items() if value.get("type") not in ("array", "object")
        and "$ref" not in value and "$ref" not in value.get("items", {})
    ]  # fmt: skip


def test_the_package_is_served_built_once_per_change_and_in_the_readers_language(
    app: Flask, make_org: Callable[..., Organization]
) -> None:
    make_org(name="Open Circle", focus=["micro-finance"], services=["training"])
    client = app.test_client()

    first = client.get("/hsds/export.zip")
    assert first.status_code == 200 and first.mimetype == "application/zip"
    assert "attachment" in first.headers["Content-Disposition"]
    folder = Path(app.config["EXPORT_FOLDER"])
    built = sorted(p.name for p in folder.glob("*.zip"))
    assert len(built) == 1
    assert client.get("/hsds/export.zip").data == first.data  # the same file, not built again
    assert sorted(p.name for p in folder.glob("*.zip")) == built

    make_org(name="Second Circle")  # the listings changed: the next download is built anew
    second = client.get("/hsds/export.zip")
    with zipfile.ZipFile(io.BytesIO(second.data)) as package:
        names = [o["name"] for o in csv.DictReader(io.StringIO(package.read("organizations.csv").decode()))]
    assert names == ["Open Circle", "Second Circle"]
    assert len(list(folder.glob("*.zip"))) == 1  # the older package is removed

    french = client.get("/hsds/export.zip?lang=fr")
    with zipfile.ZipFile(io.BytesIO(french.data)) as package:
        taxonomies = {t["name"] for t in csv.DictReader(io.StringIO(package.read("taxonomies.csv").decode()))}
    with app.test_request_context(), force_locale("fr"):
        focus = str(vocab.TAXONOMY_NAMES["focus"])
    assert focus in taxonomies and "Focus area" not in taxonomies, taxonomies


def test_the_packages_can_be_built_ahead_in_every_language(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["export-hsds", "--refresh"])
    assert result.exit_code == 0, result.output
    built = {p.name.rsplit("-", 1)[1] for p in Path(app.config["EXPORT_FOLDER"]).glob("*.zip")}
    assert built == {f"{language}.zip" for language in app.config["LANGUAGES"]}


def test_a_large_directory_sends_the_package_built_on_schedule(
    app: Flask, make_org: Callable[..., Organization]
) -> None:
    app.config["EXPORT_BUILD_LIMIT"] = 1
    make_org(name="One")
    make_org(name="Two")  # more listings than a download may build for itself
    waiting = app.test_client().get("/hsds/export.zip")
    assert waiting.status_code == 503 and "error" in waiting.get_json()
    assert waiting.headers["Retry-After"]
    assert app.test_cli_runner().invoke(args=["export-hsds", "--refresh"]).exit_code == 0
    make_org(name="Three")  # changed since: the scheduled package is sent until the next refresh
    sent = app.test_client().get("/hsds/export.zip")
    assert sent.status_code == 200
    with zipfile.ZipFile(io.BytesIO(sent.data)) as package:
        names = [o["name"] for o in csv.DictReader(io.StringIO(package.read("organizations.csv").decode()))]
    assert names == ["One", "Two"]
