"""Reporting a problem with a listing."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..extensions import db
from ..organizations.public import public_organization
from ..ratelimits import limit_form_posts
from .forms import ReportForm
from .models import ReportReason
from .services import ReportThrottledError, file_report

bp = Blueprint("reports", __name__)


@bp.route("/organizations/<slug>/report", methods=["GET", "POST"])
@limit_form_posts
def report(slug: str) -> str | Response | tuple[str, int]:
    """Anyone can flag a public listing; the report goes to the admins' queue."""
    org = public_organization(slug)
    if org is None:
        abort(404)
    form = ReportForm()
    status = 200
    if form.validate_on_submit():
        try:
            file_report(
                org, ReportReason(form.reason.data), form.details.data or "", request.remote_addr or ""
            )
        except ReportThrottledError:
            form.reason.errors = [_("You have sent several reports recently. Please try again later.")]
            status = 429
        else:
            db.session.commit()
            flash(_("Thank you. An admin will look at your report."), "success")
            return redirect(url_for("organizations.profile", slug=org.slug))
    return render_template("reports/report.html", form=form, org=org), status
