"""Command-line tools (``flask ...``): demo data, CSV import, the gazetteer, admins, reminders, backups."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import with_appcontext

from .audit.services import OPERATOR, record
from .extensions import db
from .geo import get_geo
from .organizations.importing import (
    ImportFileError,
    ImportReport,
    count_rows,
    demo_inputs,
    import_rows,
    read_csv,
)
from .organizations.models import ListingStatus, Organization
from .organizations.services import create_organization, find_same_organization, terms_by_code


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only when the directory has no organization yet.")
@with_appcontext
def seed_demo(if_empty: bool) -> None:
    """Load the fictional demo organizations (marked as demo, published, not verified by anyone)."""
    if if_empty and db.session.scalar(sa.select(sa.func.count(Organization.id))):
        click.echo("The directory already has organizations; demo data not loaded.")
        return
    gazetteer = get_geo().gazetteer
    terms = terms_by_code()
    created = 0
    for data in demo_inputs():
        if find_same_organization(data.name, data.country_code) is not None:
            continue
        # Published but never verified: the profiles say "not yet verified" (no person checked them).
        create_organization(data, gazetteer, status=ListingStatus.APPROVED, is_demo=True, terms=terms)
        created += 1
    record(OPERATOR, "listing.seed_demo", "organization", None, after={"created": created})
    db.session.commit()
    click.echo(f"Loaded {created} demo organizations.")


@click.command("import-orgs")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--approve", is_flag=True, help="Publish the imported rows (default: pending review).")
@with_appcontext
def import_orgs(file: click.File, approve: bool) -> None:
    """Import organizations from a CSV file (see README for the columns)."""
    gazetteer = get_geo().gazetteer.ensure_built()
    try:
        # Streamed: the rows are read as they are imported (the count first, for the progress bar).
        total = count_rows(file)  # type: ignore[arg-type]
        with click.progressbar(length=total, label="Importing", file=None) as bar:
            report = import_rows(
                read_csv(file),  # type: ignore[arg-type]
                gazetteer,
                approve=approve,
                on_row=lambda: bar.update(1),
                expected_rows=total,
            )
    except ImportFileError as exc:
        raise click.ClickException(str(exc)) from None
    # The run is audited: the operator published (or queued) these rows; nobody verified them.
    record(
        OPERATOR,
        "listing.import",
        "organization",
        None,
        after={
            "file": Path(getattr(file, "name", "") or "-").name,
            "approve": approve,
            "created": report.created,
            "skipped": report.skipped_existing,
            "errors": len(report.errors),
        },
    )
    db.session.commit()
    _echo_report(report, "line")


def _echo_report(report: ImportReport, unit: str) -> None:
    """What an import did: each bad record (by its ``unit``: line, organization) on stderr, then the
    counts."""
    for position, reason in report.errors:
        click.echo(f"{unit} {position}: {reason}", err=True)
    if "approved-without-flag" in report.notes:
        click.echo("Rows marked approved were imported as pending: pass --approve to publish.")
    click.echo(
        f"Imported {report.created}, skipped {report.skipped_existing} already in the directory, "
        f"{len(report.errors)} with errors."
    )


@click.group("geo")
def geo_group() -> None:
    """The offline gazetteer and the map's country outlines."""


@geo_group.command("build")
@click.option("--force", is_flag=True, help="Rebuild even when the files exist.")
@with_appcontext
def geo_build(force: bool) -> None:
    """Build the offline geocoder's gazetteer and the map's country outlines (once; a few seconds)."""
    from flask import current_app

    from .geo.build import build_gazetteer
    from .maps.outlines import ensure_outlines

    gazetteer = get_geo().gazetteer
    if force or not gazetteer.path.exists():
        build_gazetteer(gazetteer.path)
        click.echo(f"Built {gazetteer.path}")
    else:
        click.echo(f"Gazetteer ready: {gazetteer.path}")
    outlines, built = ensure_outlines(current_app._get_current_object(), force=force)  # type: ignore[attr-defined]
    click.echo(f"{'Built' if built else 'Country outlines ready:'} {outlines}")


@geo_group.command("lookup")
@click.argument("place")
@with_appcontext
def geo_lookup(place: str) -> None:
    """Show where a place name resolves (to check the geocoder)."""
    from .geo import PlaceNotFoundError

    try:
        found = get_geo().resolve(place)
    except PlaceNotFoundError as exc:
        hint = f" Did you mean: {', '.join(exc.suggestions)}?" if exc.suggestions else ""
        raise click.ClickException(f"Not found: {place}.{hint}") from None
    click.echo(f"{found.name}: {found.point.latitude:.4f}, {found.point.longitude:.4f}")


@click.command("create-admin")
@click.argument("email")
@click.option("--name", default="Admin", help="The admin's display name.")
@with_appcontext
def create_admin_command(email: str, name: str) -> None:
    """Create an admin account. The password is asked for, or read from ADMIN_PASSWORD (for scripts)."""
    import os

    from .accounts.services import AccountError, create_admin

    password = os.environ.get("ADMIN_PASSWORD") or click.prompt(
        "Password (at least 15 characters)", hide_input=True, confirmation_prompt=True
    )
    try:
        create_admin(email, password, name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Created admin {email}.")


@click.command("send-reminders")
@with_appcontext
def send_reminders() -> None:
    """Email organizations whose re-verification is due within a month, and admins the stale list.

    Safe to run daily from cron: each organization is reminded once per verification cycle.
    """
    from flask import render_template
    from flask_babel import gettext, ngettext

    from .admin import services as admin_services
    from .i18n import language_of
    from .mail import queue_mail

    due = admin_services.listings_to_remind()
    for org in due:
        admin_services.mark_reminded(org)
        for member in admin_services.members_of(org):
            with language_of(member):  # each in their own language
                body = render_template("admin/mail/reverify.txt", org=org)
                queue_mail(member.email, gettext("Please check your listing is still up to date"), body)
    stale, count = admin_services.stale_listings(limit=100), admin_services.count_stale()
    if stale:
        for admin in admin_services.admins():
            with language_of(admin):
                body = render_template("admin/mail/stale.txt", stale=stale, count=count)
                subject = ngettext(
                    "%(num)d listing needs re-verification", "%(num)d listings need re-verification", count
                )
                queue_mail(admin.email, subject, body)
    db.session.commit()  # the reminders are queued with the marks: `flask send-mail` sends them
    click.echo(f"Reminded {len(due)} organizations; {count} listings need re-verification.")


@click.command("send-mail")
@click.option("--limit", default=200, show_default=True, help="At most this many messages per run.")
@click.option("--every", type=float, default=0, help="Keep running, sending every this many seconds.")
@with_appcontext
def send_mail_command(limit: int, every: float) -> None:
    """Send the queued mail that is due. Run it every minute from cron (or keep it running with
    --every); two runs at once never send a message twice."""
    import time

    from .mail import send_queued

    while True:
        report = send_queued(limit)
        if report.sent or report.retrying or report.failed or not every:
            click.echo(f"Sent {report.sent}; {report.retrying} to retry later; {report.failed} given up on.")
        if not every:
            return
        db.session.remove()
        time.sleep(every)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write a consistent copy of the whole database to PATH, while the app keeps running."""
    from .backup import BackupError, backup

    try:
        backup(db.engine, path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backed up to {path}. It holds shelters' true locations and personal data: keep it safe.")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite a database that already holds data.")
@with_appcontext
def restore_command(path: Path, force: bool) -> None:
    """Restore a backup made by `flask backup` into an empty database (or any, with --force)."""
    from .backup import BackupError, restore

    db.session.remove()
    try:
        restore(db.engine, path, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored {path}.")


@click.command("import-hsds")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--approve", is_flag=True, help="Publish the imported listings (default: pending review).")
@with_appcontext
def import_hsds(file: click.File, approve: bool) -> None:
    """Import organizations from an HSDS 3.0 JSON export (see README, "Data in and out")."""
    from .hsds.importing import import_organizations, read_document

    gazetteer = get_geo().gazetteer.ensure_built()
    try:
        records = read_document(file.read())  # type: ignore[attr-defined]
    except ImportFileError as exc:
        raise click.ClickException(str(exc)) from None
    _echo_report(import_organizations(records, gazetteer, approve=approve), "organization")


@click.command("export-hsds")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--tabular", is_flag=True, help="HSDS's tabular form (a zip of CSV tables), not JSON.")
@click.option(
    "--refresh", is_flag=True, help="Build the packages /hsds/export.zip serves, in every language."
)
@with_appcontext
def export_hsds(file: Path | None, tabular: bool, refresh: bool) -> None:
    """Export the published directory in HSDS 3.0 (what the public may see, nothing more)."""
    from flask import current_app
    from flask_babel import force_locale

    from .hsds.exporting import current_package, write_json, write_tabular

    if refresh:
        for language in current_app.config["LANGUAGES"]:
            with force_locale(language):
                click.echo(f"{language}: {current_package(language)}")
        return
    if file is None:
        raise click.UsageError("Give the FILE to write (or --refresh).")
    if tabular:
        with file.open("wb") as out:
            counts = write_tabular(out)
        click.echo(f"Wrote {counts.get('organization', 0)} organizations in {len(counts)} tables to {file}.")
    else:
        with file.open("w", encoding="utf-8") as text:
            count = write_json(text)
        click.echo(f"Wrote {count} organizations to {file}.")


def register(app: Flask) -> None:
    for command in (
        seed_demo,
        import_orgs,
        import_hsds,
        export_hsds,
        geo_group,
        create_admin_command,
        send_reminders,
        send_mail_command,
        backup_command,
        restore_command,
    ):
        app.cli.add_command(command)
