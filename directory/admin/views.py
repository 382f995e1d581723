"""Admin pages: the vetting queue, review pages, decisions and the audit log."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import textrules
from ..accounts.access import admin_required
from ..accounts.models import User
from ..agencies.models import Agency, AgencyStatus
from ..db import column_integer, now_utc
from ..extensions import db
from ..formerrors import show_errors
from ..forms import Form
from ..geo import get_geo
from ..i18n import language_of
from ..mail import queue_mail
from ..organizations import editing
from ..organizations.models import ListingStatus, Organization
from ..partnerships.services import MIN_GROUP, feedback_summary
from ..partnerships.stats import dashboard as request_dashboard
from ..reports.models import Report, ReportStatus
from ..reports.services import decide_report
from . import services
from .forms import AgencyDecisionForm, AuditFilterForm, DecisionForm

S = TypeVar("S", bound=enum.Enum)

bp = Blueprint("admin", __name__, url_prefix="/admin")

#: Pages of a listing beyond this are a 404 without asking the database.
MAX_PAGE = 100_000


def page_number(raw: str) -> int:
    """The page asked for: 400 when it is not a whole number, 404 when no page can have it."""
    if not (raw.isascii() and raw.isdigit()):
        abort(400)
    if len(raw) > len(str(MAX_PAGE)) or not 1 <= int(raw) <= MAX_PAGE:
        abort(404)
    return int(raw)


def _read_version(raw: str | None) -> int | None:
    """The listing version the admin read: None when the form sends none, -1 (so "the listing changed")
    when what it sends is no version a listing can have."""
    if not raw:
        return None
    version = column_integer(raw)
    return -1 if version is None else version


def _decided(form: DecisionForm | AgencyDecisionForm, decide: Callable[[], None]) -> bool:
    """Take a decision: True when it was recorded (committed); otherwise the reason is on the form."""
    try:
        decide()
    except (services.DecisionError, editing.ListingStateError) as exc:
        db.session.rollback()  # whatever a refused decision began is undone, and the page shows now
        show_errors(form, getattr(exc, "errors", {}))  # the checklist items left unexplained
        form.message.errors = [
            *form.message.errors,
            _("This decision cannot be taken: %(why)s.", why=str(exc)),
        ]
        return False
    db.session.commit()
    flash(_("Decision recorded."), "success")
    return True


def _seen(kind: type[S], value: str | None) -> S | None:
    """The status a decision form was shown with (None when the form did not say)."""
    try:
        return kind(value) if value else None
    except ValueError:
        return None


@bp.get("/")
@admin_required
def queue() -> str:
    """What waits for review, oldest first, with each item's age; and the stale listings."""
    items = services.queue()
    return render_template(
        "admin/queue.html",
        items=items,
        counts=services.queue_counts(items),
        now=now_utc(),
        stale=services.stale_listings(limit=50),
        stale_count=services.count_stale(),
    )


@bp.route("/organizations/<int:org_id>", methods=["GET", "POST"])
@admin_required
def review_organization(org_id: int) -> str | Response:
    """The whole listing, the diff of a pending revision, the checklist and the decision."""
    org = db.get_or_404(Organization, org_id)
    revision = editing.pending_revision(org)
    form = DecisionForm()
    if form.validate_on_submit():
        action = request.form.get("action", "")
        message, checklist = form.message.data or "", form.to_checklist()

        def decide() -> None:
            if request.form.get("target") == "revision":
                # The revision the admin read, not a newer one the organization saved since.
                if revision is None or form.revision.data not in ("", None, str(revision.id)):
                    raise services.already_decided()
                version = _read_version(form.version.data)
                services.decide_revision(
                    revision, current_user, action, get_geo().gazetteer, message, checklist, version
                )
            else:
                seen = _seen(ListingStatus, form.seen.data)
                version = _read_version(form.version.data)
                services.decide_listing(org, current_user, action, message, checklist, seen, version)
            _tell_members(org, action, message)  # queued with the decision, so only if it stands

        if _decided(form, decide):
            return redirect(url_for("admin.queue"))
    listing = editing.input_from_org(org)
    changes = {}
    if revision is not None:
        proposed = editing.input_from_dict(revision.data)
        changes, listing = editing.diff(listing, proposed), proposed
    history = services.listing_history(org, limit=20)
    return render_template(
        "admin/organization.html",
        org=org,
        revision=revision,
        changes=changes,
        listing=listing,
        form=form,
        history=history,
        stale=org.needs_reverification(),
    )


def _tell_members(org: Organization, action: str, message: str) -> None:
    """Email the organization's members about a decision (queued in the decision's transaction), each in
    their own language."""
    for member in services.members_of(org):
        with language_of(member):
            subject = _("About your listing in the Survivor-Led Partnership Directory")
            body = render_template("admin/mail/decision.txt", org=org, action=action, message=message)
            queue_mail(member.email, subject, body)


@bp.route("/agencies/<int:agency_id>", methods=["GET", "POST"])
@admin_required
def review_agency(agency_id: int) -> str | Response:
    agency = db.get_or_404(Agency, agency_id)
    form = AgencyDecisionForm()
    members = services.agency_members(agency)
    if form.validate_on_submit():
        action, message = request.form.get("action", ""), form.message.data or ""
        seen = _seen(AgencyStatus, form.seen.data)

        def decide() -> None:
            services.decide_agency(agency, current_user, action, message, seen)
            _tell_agency(members, agency, action, message)  # queued with the decision

        if _decided(form, decide):
            return redirect(url_for("admin.queue"))
    return render_template("admin/agency.html", agency=agency, form=form, members=members)


def _tell_agency(members: list[User], agency: Agency, action: str, message: str) -> None:
    """Email the agency's members about a decision (queued in the decision's transaction), each in their
    own language."""
    for member in members:
        if member.is_active:
            with language_of(member):
                subject = _("About your agency in the Survivor-Led Partnership Directory")
                body = render_template(
                    "admin/mail/agency_decision.txt", agency=agency, action=action, message=message
                )
                queue_mail(member.email, subject, body)


@bp.get("/audit")
@admin_required
def audit() -> str:
    """Every recorded action, newest first, filtered by action, record type or actor."""
    form = AuditFilterForm(request.args)
    if form.validate():
        query = services.audit_entries(
            form.action.data or "", form.target_type.data or "", form.actor.data or ""
        )
    else:  # a filter too long to be one filters nothing
        query = services.audit_entries()
    entries = db.paginate(query, page=page_number(request.args.get("page", "1")), per_page=50)
    filters = {k: request.args[k] for k in ("action", "target_type", "actor") if request.args.get(k)}
    return render_template("admin/audit.html", form=form, entries=entries, filters=filters)


@bp.route("/reports/<int:report_id>", methods=["GET", "POST"])
@admin_required
def review_report(report_id: int) -> str | Response:
    """A report on a listing: forward it to the organization (without who sent it) or dismiss it."""
    report = db.get_or_404(Report, report_id)
    form = Form()
    if form.validate_on_submit():
        try:
            decide_report(report, current_user, request.form.get("action", ""))
        except ValueError:
            db.session.rollback()
            if report.status is not ReportStatus.OPEN:
                flash(_("Someone else has already decided this report."), "error")
            else:
                flash(_("This report cannot be decided that way."), "error")
        else:
            db.session.commit()
            flash(_("Decision recorded."), "success")
            return redirect(url_for("admin.queue"))
    return render_template("admin/report.html", report=report, form=form)


@bp.route("/users", methods=["GET", "POST"])
@admin_required
def users() -> str | Response:
    """Find an account by email address; suspend or reinstate it."""
    form = AgencyDecisionForm()
    email = (request.values.get("email") or "").strip().lower()
    error = textrules.problem(email, textrules.Kind.SINGLE_LINE)
    found = services.account_by_email(email) if email and not error else None
    if found is not None and form.validate_on_submit():
        suspend, message = request.form.get("action") == "suspend", form.message.data or ""
        if _decided(form, lambda: services.set_account_suspended(found, current_user, suspend, message)):
            return redirect(url_for("admin.users", email=email))
    return render_template("admin/users.html", email=email, found=found, form=form, error=error)


@bp.get("/feedback")
@admin_required
def feedback() -> str:
    """Feedback on completed requests, in aggregate only (groups of fewer than 5 stay hidden)."""
    return render_template("admin/feedback.html", groups=feedback_summary(), minimum=MIN_GROUP)


@bp.get("/dashboard")
@admin_required
def dashboard() -> str:
    """Counts and charts (SVG drawn here, no JavaScript) of requests and listings."""
    return render_template("admin/dashboard.html", d=request_dashboard())
