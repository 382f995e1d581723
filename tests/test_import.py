"""CSV import (``flask import-orgs``): good, bad and repeated rows."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from directory.audit.models import AuditEntry
from directory.extensions import db
from directory.organizations.importing import REQUIRED_COLUMNS, summary_from
from directory.organizations.importing.reading import read_csv
from directory.organizations.models import ListingStatus, Location, Organization

GOOD = {
    "name": "Littoral Fishers' Voice",
    "description": "Survivor-led support for fishers. We also train port inspectors.",
    "country_code": "CM",
    "country": "Cameroon",
    "region": "Middle Africa",
    "city": "Douala",
    "latitude": "",
    "longitude": "",
    "focus_areas": "job-training;labor-trafficking",
    "leadership_models": "survivor-founded",
    "services": "training;consulting",
    "languages": "fr;en",
    "website": "https://littoral.example",
    "email": "hello@littoral.example",
    "founded_year": "2015",
}


def write_csv(path: Path, rows: list[dict[str, str]], extra: tuple[str, ...] = ()) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*REQUIRED_COLUMNS, *extra])
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


def orgs() -> list[Organization]:
    return list(db.session.scalars(sa.select(Organization).order_by(Organization.id)))


def test_good_rows_are_imported_pending_by_default(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "orgs.csv", [GOOD])
    result = runner.invoke(args=["import-orgs", str(path)])
    assert result.exit_code == 0, result.output
    assert "Imported 1" in result.output
    [org] = orgs()
    assert org.status is ListingStatus.PENDING
    assert org.slug == "littoral-fishers-voice"
    assert org.term_codes("trafficking") == ["labor"]  # labor-trafficking focus sets the type
    assert org.term_codes("focus") == ["job-training"]
    assert org.summary == "Survivor-led support for fishers."
    assert org.location.location_precision.value == "city"
    assert org.email_visibility.value == "verified_agencies"
    # blank coordinates were geocoded from the city
    assert abs(org.location.true_latitude - 4.05) < 0.05


def test_approve_publishes_and_coordinates_are_kept(runner: FlaskCliRunner, tmp_path: Path) -> None:
    row = {**GOOD, "latitude": "4.0611", "longitude": "9.7860"}
    path = write_csv(tmp_path / "orgs.csv", [row])
    assert runner.invoke(args=["import-orgs", "--approve", str(path)]).exit_code == 0
    [org] = orgs()
    assert org.status is ListingStatus.APPROVED
    assert org.location.true_latitude == 4.0611
    assert org.location.public_latitude != 4.0611  # city precision: the city's point is public


def test_an_approved_import_publishes_but_verifies_nothing_and_the_run_is_audited(
    runner: FlaskCliRunner, client: FlaskClient, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "partners.csv", [GOOD])
    assert runner.invoke(args=["import-orgs", "--approve", str(path)]).exit_code == 0
    [org] = orgs()
    assert org.is_public and org.assured_date is None and org.assurer_id is None
    page = client.get(f"/organizations/{org.slug}").get_data(as_text=True)
    assert "Not yet verified" in page and "Verified on" not in page
    assert client.get(f"/api/v1/organizations/{org.slug}").json["verified_on"] is None
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "listing.import"))
    assert entry.actor_label == "operator" and entry.actor_id is None
    assert entry.after == {"file": "partners.csv", "approve": True, "created": 1, "skipped": 0, "errors": 0}


def test_running_the_same_file_twice_creates_no_duplicates(runner: FlaskCliRunner, tmp_path: Path) -> None:
    renamed = {**GOOD, "name": "LITTORAL  fishers’ voice"}  # same name once normalized
    path = write_csv(tmp_path / "orgs.csv", [GOOD])
    runner.invoke(args=["import-orgs", str(path)])
    again = runner.invoke(args=["import-orgs", str(write_csv(tmp_path / "b.csv", [GOOD, renamed]))])
    assert "Imported 0, skipped 2 already in the directory" in again.output
    assert len(orgs()) == 1
    other_country = {
        **GOOD,
        "country_code": "NG",
        "country": "Nigeria",
        "region": "",
        "city": "Lagos",
    }
    runner.invoke(args=["import-orgs", str(write_csv(tmp_path / "c.csv", [other_country]))])
    assert len(orgs()) == 2  # same name in another country is another organization


def test_bad_rows_are_reported_and_skipped(runner: FlaskCliRunner, tmp_path: Path) -> None:
    rows = [
        {**GOOD, "name": "Good One"},
        {**GOOD, "name": "Bad Country", "country_code": "XX", "country": ""},
        {**GOOD, "name": "Bad Region", "region": "Western Europe"},
        {**GOOD, "name": "Bad Focus", "focus_areas": "finance"},
        {**GOOD, "name": "Bad Latitude", "latitude": "north", "longitude": "9.7"},
        {**GOOD, "name": "Lonely Latitude", "latitude": "4.1", "longitude": ""},
        {**GOOD, "name": "Unknown City", "city": "Atlantis"},
        {**GOOD, "name": "", "city": "Douala"},
        {**GOOD, "name": "Bad Year", "founded_year": "long ago"},
        {**GOOD, "name": "Wrong Country Name", "country": "Nigeria"},
        {**GOOD, "name": "Good Two", "city": "Yaounde"},
    ]
    path = write_csv(tmp_path / "orgs.csv", rows)
    result = runner.invoke(args=["import-orgs", str(path)])
    assert result.exit_code == 0
    assert sorted(o.name for o in orgs()) == ["Good One", "Good Two"]
    output = result.output
    assert "line 3: country_code 'XX'" in output
    assert "line 4: region 'Western Europe' does not match CM" in output
    assert "line 5:" in output and "micro-finance" in output  # the valid slugs are listed
    assert "line 6: latitude 'north' is not a number" in output
    assert "line 7:" in output and "both latitude and longitude" in output
    assert "line 8: no coordinates, and the city 'Atlantis' was not found in CM" in output
    assert "line 9:" in output and "name" in output
    assert "line 10: founded_year 'long ago' is not a year" in output
    assert "line 11: country 'Nigeria' is NG, not CM" in output
    assert "Imported 2, skipped 0 already in the directory, 9 with errors." in output


def test_optional_precision_and_status_columns(runner: FlaskCliRunner, tmp_path: Path) -> None:
    rows = [
        {**GOOD, "name": "Hidden", "location_precision": "hidden", "status": "draft"},
        {**GOOD, "name": "Wants Approval", "location_precision": "", "status": "approved"},
        {**GOOD, "name": "Bad Precision", "location_precision": "street", "status": ""},
    ]
    path = write_csv(tmp_path / "orgs.csv", rows, extra=("location_precision", "status"))
    result = runner.invoke(args=["import-orgs", str(path)])
    by_name = {o.name: o for o in orgs()}
    assert by_name["Hidden"].status is ListingStatus.DRAFT
    assert by_name["Hidden"].location.public_latitude is None
    # a file cannot publish itself: approval needs --approve
    assert by_name["Wants Approval"].status is ListingStatus.PENDING
    assert "pass --approve to publish" in result.output
    assert "line 4: location_precision 'street'" in result.output


def test_missing_columns_stop_the_import(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "orgs.csv"
    path.write_text("name,country_code\nA,CM\n")
    result = runner.invoke(args=["import-orgs", str(path)])
    assert result.exit_code != 0
    assert "missing column(s): description" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Location.id))) == 0


def test_rows_are_read_as_dictreader_reads_them() -> None:
    # Short rows get "" for the missing values, values beyond the header are dropped, blank lines are
    # skipped, and each row's line is the one it starts on (a quoted value may hold line breaks).
    header = ",".join(REQUIRED_COLUMNS)
    text = f'{header}\nOne,"two\nlines"\n\nThree\n{",".join(["x"] * (len(REQUIRED_COLUMNS) + 2))}\n'
    rows = list(read_csv(io.StringIO(text)))
    expected = [
        dict.fromkeys(REQUIRED_COLUMNS, "") | {"name": "One", "description": "two\nlines"},
        dict.fromkeys(REQUIRED_COLUMNS, "") | {"name": "Three"},
        dict.fromkeys(REQUIRED_COLUMNS, "x"),
    ]
    assert rows == list(zip([2, 5, 6], expected, strict=True))
    legacy = [
        {k: v or "" for k, v in row.items() if k is not None} for row in csv.DictReader(io.StringIO(text))
    ]
    assert [row for _, row in rows] == legacy


def test_summary_is_the_first_sentence() -> None:
    assert summary_from("First one. Second one.") == "First one."
    long = "word " * 100
    assert len(summary_from(long)) <= 200 and summary_from(long).endswith("…")


def _rows(count: int) -> list[tuple[int, dict[str, str]]]:
    return [
        (i + 2, {**GOOD, "name": f"Batch Collective {i}", "latitude": "4.05", "longitude": "9.7"})
        for i in range(count)
    ]


def test_batches_are_written_in_order_and_each_is_committed(app: Flask) -> None:
    from directory.geo import get_geo
    from directory.organizations import importing

    report = importing.import_rows(_rows(10), get_geo().gazetteer, approve=True, batch_size=3)
    assert report.created == 10
    names = db.session.scalars(sa.select(Organization.name).order_by(Organization.id)).all()
    assert names == [f"Batch Collective {i}" for i in range(10)]
    # every listing has its location and full-text row, whichever database wrote them
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Location)) == 10
    assert db.session.scalar(sa.text("SELECT count(*) FROM organization_fts")) == 10


def test_rows_written_by_position_must_have_the_same_columns(app: Flask) -> None:
    """The writer writes each listing's values by position: a listing whose columns differ from the
    others' (a future change to the column values) is refused, not written into the wrong columns."""
    from directory.geo import get_geo
    from directory.organizations.importing.run import check_rows
    from directory.organizations.importing.writer import RowMaker, write_batch
    from directory.organizations.services import terms_by_code

    term_ids = {key: term.id for key, term in terms_by_code().items()}
    maker = RowMaker(db.session.get_bind().dialect, term_ids, is_demo=False)
    checked, errors = check_rows(_rows(3), get_geo().gazetteer, True, maker)
    assert len(checked) == 3 and not errors
    rows = checked[1].rows
    assert rows is not None
    email = rows.organization.pop("email")
    rows.organization["email"] = email  # the same columns, in another order
    with pytest.raises(ValueError, match="different columns"):
        write_batch(db.session.connection(), checked)
    db.session.rollback()
    assert orgs() == []


def test_a_failed_batch_stops_the_import_and_keeps_the_batches_before_it(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from directory.geo import get_geo
    from directory.organizations import importing
    from directory.organizations.importing import writer

    real = writer.write_batch
    calls = []

    def failing(connection: sa.Connection, *args: object) -> object:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real(connection, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(writer, "write_batch", failing)
    with pytest.raises(RuntimeError, match="went away"):
        importing.import_rows(_rows(10), get_geo().gazetteer, approve=True, batch_size=3)
    db.session.rollback()
    names = db.session.scalars(sa.select(Organization.name).order_by(Organization.id)).all()
    assert names == [f"Batch Collective {i}" for i in range(3)]


def test_a_file_larger_than_a_batch_is_imported_whole(
    runner: FlaskCliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_org: Callable[..., Organization],
) -> None:
    from directory.organizations.importing import run

    monkeypatch.setattr(run, "BATCH", 3)
    rows = [
        {**GOOD, "name": f"Harbour Collective {i}", "latitude": "4.05", "longitude": "9.7"} for i in range(9)
    ]
    rows.append({**GOOD, "name": "harbour collective 1", "city": "Atlantis"})  # in an earlier batch: skipped
    lagos = {**GOOD, "name": "Harbour Collective 2", "country_code": "NG", "country": "", "region": ""}
    rows.append({**lagos, "city": "Lagos"})  # another country: another organization, another slug
    result = runner.invoke(args=["import-orgs", "--approve", str(write_csv(tmp_path / "orgs.csv", rows))])
    assert "Imported 10, skipped 1 already in the directory, 0 with errors." in result.output
    found = orgs()
    assert [o.name for o in found] == [*(f"Harbour Collective {i}" for i in range(9)), "Harbour Collective 2"]
    last = found[-1]
    assert last.slug == "harbour-collective-2-2" and last.location.country_code == "NG"
    assert last.term_codes("trafficking") == ["labor"] and last.status is ListingStatus.APPROVED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Location)) == 10
    assert db.session.scalar(sa.text("SELECT count(*) FROM organization_fts")) == 10
    # Bulk rows are stored as the ORM stores them: a fresh UUID each, timestamps in the same form.
    assert len({o.uuid for o in found}) == 10 and last.created_at.tzinfo is not None
    stored = sa.select(sa.cast(Organization.created_at, sa.String)).where(
        Organization.id == sa.bindparam("id")
    )
    made = make_org()
    imported_form, orm_form = (db.session.scalar(stored, {"id": o.id}) for o in (last, made))
    assert _timestamp_shape(imported_form) == _timestamp_shape(orm_form)


def _timestamp_shape(text: str) -> str:
    """A stored timestamp's form with its digits masked. PostgreSQL's text form drops a fraction's
    trailing zeros (``.01655`` for ``.016550``, nothing for ``.000000``), so the fraction is padded first."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?(.*)", text)
    assert match, text
    padded = f"{match[1]}.{(match[2] or '').ljust(6, '0')}{match[3]}"
    return re.sub(r"\d", "9", padded)


def test_a_bad_row_in_a_later_batch_is_reported_by_its_line(
    runner: FlaskCliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from directory.organizations.importing import run

    monkeypatch.setattr(run, "BATCH", 3)
    rows = [{**GOOD, "name": f"Harbour Collective {i}"} for i in range(8)]
    rows[5] = {**rows[5], "focus_areas": "finance"}  # the second batch (lines 5 to 7)
    rows[6] = {**rows[6], "founded_year": "soon"}  # the third batch (lines 8 to 10)
    rows[7] = {**rows[7], "city": "Atlantis"}  # an error found only once the row is known to be new
    result = runner.invoke(args=["import-orgs", str(write_csv(tmp_path / "orgs.csv", rows))])
    assert result.exit_code == 0
    assert "line 7:" in result.output and "micro-finance" in result.output  # the valid slugs are listed
    assert "line 8: founded_year 'soon' is not a year" in result.output
    assert "line 9: no coordinates, and the city 'Atlantis' was not found in CM" in result.output
    assert result.output.index("line 7:") < result.output.index("line 8:") < result.output.index("line 9:")
    assert "Imported 5, skipped 0 already in the directory, 3 with errors." in result.output
    assert len(orgs()) == 5


def test_a_small_import_updates_the_search_index_in_place(
    client: FlaskClient, runner: FlaskCliRunner, tmp_path: Path, make_org: Callable[..., Organization]
) -> None:
    from directory.search import get_engine

    make_org(name="Harbour Weavers", description="Weaving cooperative.")
    assert client.get("/api/v1/organizations").json["total"] == 1  # the index is built
    before = get_engine().index_cache.get(db.session)
    rows = [{**GOOD, "name": f"Littoral Rope Makers {i}"} for i in range(2)]
    assert (
        runner.invoke(args=["import-orgs", "--approve", str(write_csv(tmp_path / "o.csv", rows))]).exit_code
        == 0
    )
    # The import recorded which listings it added: the index keeps its base and reads just those two.
    after = get_engine().index_cache.get(db.session)
    assert after.base is before.base and after.overlay_size == 2
    found = client.get("/api/v1/organizations", query_string={"q": "rope makers"}).json
    assert sorted(r["name"] for r in found["results"]) == ["Littoral Rope Makers 0", "Littoral Rope Makers 1"]
