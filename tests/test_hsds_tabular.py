"""HSDS 3.0's tabular form (``directory.hsds.tabular``): nested HSDS objects become rows of the
specification's tables, joined by their parents' ids, described by a ``datapackage.json`` whose fields are
each table's columns."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

from directory.hsds import tabular


def _organization(n: int, term: dict[str, Any]) -> dict[str, Any]:
    org = f"00000000-0000-4000-8000-00000000000{n}"
    service = f"10000000-0000-4000-8000-00000000000{n}"
    return {
        "id": org,
        "name": f"Circle {n}",
        "description": "Savings groups, “run by survivors”, ünïcode",
        "year_incorporated": 2019,
        "attributes": [{"id": f"a{n}", "taxonomy_term": term, "value": "=1+1"}],
        "contacts": [
            {"id": f"c{n}", "email": "x@example.org", "phones": [{"id": f"p{n}", "number": "+237 6"}]}
        ],
        "locations": [{"id": f"l{n}", "location_type": "physical", "latitude": 4.05, "longitude": 9.7}],
        "services": [
            {
                "id": service,
                "organization_id": org,
                "name": "Training",
                "status": "active",
                "organization": {"id": org, "name": "a back reference"},
                "service_areas": [{"id": f"sa{n}", "name": "Cameroon"}],
                "languages": [{"id": f"lang{n}", "code": "fr", "name": "French"}],
                "service_at_locations": [
                    {"id": f"sal{n}", "location": {"id": f"l{n}", "location_type": "x"}}
                ],
                "attributes": [{"id": f"sa-attr{n}", "taxonomy_term": term}],
            }
        ],
    }


def _read(data: bytes) -> tuple[dict[str, Any], dict[str, list[dict[str, str]]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        description = json.loads(package.read("datapackage.json"))
        tables = {}
        for resource in description["resources"]:
            text = package.read(resource["path"]).decode("utf-8")
            reader = csv.DictReader(io.StringIO(text, newline=""))
            assert reader.fieldnames == [f["name"] for f in resource["schema"]["fields"]], resource["name"]
            tables[resource["name"]] = list(reader)
    return description, tables


def test_nested_objects_become_rows_joined_by_their_parents_ids() -> None:
    taxonomy = {"id": "t", "name": "Focus", "description": "Focus areas"}
    term = {"id": "term", "name": "Micro-finance", "description": "d", "taxonomy_detail": taxonomy}
    out = io.BytesIO()
    counts = tabular.write_package(
        [_organization(1, term), _organization(2, term)], out, name="test", title="Test"
    )
    description, tables = _read(out.getvalue())
    assert description["profile"] == "tabular-data-package"
    assert [r["name"] for r in description["resources"]] == [
        t for t in tabular.tables() if t in counts
    ]  # the specification's order
    assert counts["organization"] == 2 and counts["service"] == 2
    by_id = {name: {row["id"]: row for row in rows} for name, rows in tables.items()}
    org1 = by_id["organization"]["00000000-0000-4000-8000-000000000001"]
    assert (
        org1["description"] == "Savings groups, “run by survivors”, ünïcode"
        and org1["year_incorporated"] == "2019"
    )
    # Children name their parent; back references are not written again.
    assert by_id["service"]["10000000-0000-4000-8000-000000000001"]["organization_id"] == org1["id"]
    assert by_id["service_area"]["sa1"]["service_id"] == "10000000-0000-4000-8000-000000000001"
    assert by_id["language"]["lang2"]["service_id"] == "10000000-0000-4000-8000-000000000002"
    assert by_id["contact"]["c1"]["organization_id"] == org1["id"]
    assert by_id["phone"]["p1"] == {**by_id["phone"]["p1"], "contact_id": "c1", "number": "+237 6"}
    assert by_id["location"]["l1"]["organization_id"] == org1["id"] and len(tables["location"]) == 2
    assert by_id["location"]["l1"]["latitude"] == "4.05"
    assert by_id["service_at_location"]["sal1"]["service_id"] == "10000000-0000-4000-8000-000000000001"
    # Attributes link their owner and their term; a term (and its taxonomy) is written once.
    assert by_id["attribute"]["a1"] | {} == {
        **by_id["attribute"]["a1"],
        "link_id": org1["id"],
        "link_entity": "organization",
        "taxonomy_term_id": "term",
    }
    assert by_id["attribute"]["sa-attr2"]["link_entity"] == "service"
    assert len(tables["taxonomy_term"]) == 1 and tables["taxonomy_term"][0]["taxonomy_id"] == "t"
    assert len(tables["taxonomy"]) == 1
    # Every reference to a parent names a row of the package.
    for name, column, parent in (
        ("service", "organization_id", "organization"),
        ("service_area", "service_id", "service"),
        ("service_at_location", "service_id", "service"),
        ("attribute", "taxonomy_term_id", "taxonomy_term"),
        ("taxonomy_term", "taxonomy_id", "taxonomy"),
    ):
        assert {row[column] for row in tables[name]} <= by_id[parent].keys(), (name, column)


def test_each_cell_goes_through_the_given_function() -> None:
    out = io.BytesIO()
    term = {"id": "term", "name": "n", "description": "d"}
    tabular.write_package([_organization(1, term)], out, name="t", title="t", to_text=lambda v: f"<{v}>")
    _, tables = _read(out.getvalue())
    assert tables["attribute"][0]["value"] == "<=1+1>"
    assert tables["organization"][0]["alternate_name"] == "<None>"  # every column, set or not


def test_the_tables_follow_the_specification() -> None:
    tables = tabular.tables()
    assert list(tables)[:3] == ["organization", "program", "service"]
    assert tables["service_area"].path == "service_areas.csv"
    fields = {f["name"]: f for f in tables["service"].fields}
    assert fields["id"]["constraints"] == {"unique": True, "required": True}
    assert fields["assured_date"]["type"] == "date" and fields["last_modified"]["type"] == "datetime"
    assert (
        "services" not in tables["organization"].columns and "organization" not in tables["service"].columns
    )


def test_values_as_text() -> None:
    assert [tabular.cell(v) for v in (None, True, False, 3, 4.5, "x")] == [
        "",
        "true",
        "false",
        "3",
        "4.5",
        "x",
    ]
