"""Backup and restore (``flask backup``, ``flask restore``) on the database the suite runs on: a backup
taken while writes go on restores, into a fresh database, to one consistent moment of every table."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from directory import create_app
from directory.extensions import db

from .conftest import Databases

WRITER_ACTION = "test.backup_writer"


def _app(app_config: Callable[[str, Path], dict[str, Any]], url: str, folder: Path) -> Flask:
    return create_app(app_config(url, folder))


def _tables(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as dicts, in a stable order."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            metadata = sa.MetaData()
            metadata.reflect(connection)
            return {
                name: sorted((dict(row._mapping) for row in connection.execute(sa.select(table))), key=repr)
                for name, table in metadata.tables.items()
            }
    finally:
        engine.dispose()


def _writer_number(table: str, row: dict[str, Any]) -> int | None:
    """The writer's transaction number of a row, or None for rows it did not write."""
    if table == "login_attempt" and row["email"].startswith("writer"):
        return int(row["email"].removeprefix("writer").split("@")[0])
    if table == "audit_entry" and row["action"] == WRITER_ACTION:
        return row["target_id"]
    return None


class Writer(threading.Thread):
    """Commits, one transaction at a time, a sign-in attempt and an audit entry that share a number."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.engine = sa.create_engine(url)
        self.done = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                with self.engine.begin() as connection:
                    n = self.done
                    connection.execute(
                        sa.text(
                            "INSERT INTO login_attempt (email, ip_address, succeeded, created_at) "
                            "VALUES (:email, '127.0.0.1', false, CURRENT_TIMESTAMP)"
                        ),
                        {"email": f"writer{n}@example.org"},
                    )
                    connection.execute(
                        sa.text(
                            "INSERT INTO audit_entry (created_at, actor_label, action, target_type, "
                            "target_id, note) VALUES (CURRENT_TIMESTAMP, 'system', :action, 'test', :n, '')"
                        ),
                        {"action": WRITER_ACTION, "n": n},
                    )
                self.done += 1
        except BaseException as exc:  # noqa: BLE001  (reported by the test)
            self.error = exc
        finally:
            self.engine.dispose()

    def wait_for(self, count: int) -> None:
        while self.done < count and self.error is None:
            self.stop.wait(0.01)


@pytest.mark.slow
def test_a_backup_taken_during_writes_restores_to_one_consistent_moment(
    databases: Databases, app_config: Callable[[str, Path], dict[str, Any]], tmp_path: Path
) -> None:
    source_url = databases.create(tmp_path)
    source = _app(app_config, source_url, tmp_path)
    assert source.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    writer = Writer(source_url)
    writer.start()
    writer.wait_for(5)
    result = source.test_cli_runner().invoke(args=["backup", str(tmp_path / "directory.backup")])
    assert result.exit_code == 0, result.output
    at_backup = writer.done
    writer.wait_for(at_backup + 5)
    writer.stop.set()
    writer.join()
    assert writer.error is None
    with source.app_context():
        db.engine.dispose()

    target_url = databases.create_empty(tmp_path)
    target = _app(app_config, target_url, tmp_path)
    result = target.test_cli_runner().invoke(args=["restore", str(tmp_path / "directory.backup")])
    assert result.exit_code == 0, result.output
    with target.app_context():
        db.engine.dispose()

    before, after = _tables(source_url), _tables(target_url)
    assert set(after) == set(before)
    # The writer's rows: one prefix of its transactions, both tables cut at the same one.
    attempts = {_writer_number("login_attempt", r) for r in after["login_attempt"]} - {None}
    audited = {_writer_number("audit_entry", r) for r in after["audit_entry"]} - {None}
    restored = len(audited)
    assert 5 <= restored <= at_backup + 1 and restored < writer.done
    assert audited == attempts == set(range(restored))
    # Everything else, and the writer's rows up to that moment, are exactly as they were.
    for name, rows in before.items():
        kept = [r for r in rows if (_writer_number(name, r) or 0) < restored]
        assert after[name] == kept, name

    # The restored log is still append-only, and a second restore needs --force.
    engine = sa.create_engine(target_url)
    with engine.begin() as connection, pytest.raises(sa.exc.DatabaseError, match="append-only"):
        connection.execute(sa.text("DELETE FROM audit_entry"))
    engine.dispose()
    refused = target.test_cli_runner().invoke(args=["restore", str(tmp_path / "directory.backup")])
    assert refused.exit_code != 0 and "not empty" in refused.output
    forced = target.test_cli_runner().invoke(args=["restore", "--force", str(tmp_path / "directory.backup")])
    assert forced.exit_code == 0, forced.output
    assert _tables(target_url) == after
    with target.app_context():
        db.engine.dispose()


def test_a_backup_never_overwrites_a_file_and_restore_refuses_what_is_not_a_backup(
    app: Flask, tmp_path: Path
) -> None:
    existing = tmp_path / "existing.backup"
    existing.write_text("precious")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["backup", str(existing)])
    assert result.exit_code != 0 and "already exists" in result.output
    assert existing.read_text() == "precious"
    refused = runner.invoke(args=["restore", str(tmp_path / "missing.backup")])
    assert refused.exit_code != 0 and "is not a file" in refused.output
