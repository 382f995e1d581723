"""An agency's own page: its details and verification status."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..accounts.access import agency_member_required
from ..extensions import db
from .forms import AgencyForm
from .models import Agency, AgencyType
from .services import AgencyError, AgencyInput, update_agency

bp = Blueprint("agencies", __name__, url_prefix="/my")


def own_agency() -> Agency:
    agency = current_user.agency
    if agency is None:
        abort(404)
    return agency


@bp.route("/agency", methods=["GET", "POST"])
@agency_member_required
def agency() -> str | Response:
    """Change the agency's details; a new name, website or country needs verifying again."""
    agency = own_agency()
    form = AgencyForm(obj=agency if request.method == "GET" else None)
    if request.method == "GET":
        form.agency_type.data = agency.agency_type.value
    if form.validate_on_submit():
        data = AgencyInput(
            name=form.name.data,
            agency_type=AgencyType(form.agency_type.data),
            country_code=form.country_code.data,
            website=form.website.data or None,
            description=form.description.data,
        )
        try:
            reverify = update_agency(agency, data, current_user)
        except AgencyError as exc:
            flash(str(exc), "error")
            return render_template("agencies/agency.html", form=form, agency=agency)
        db.session.commit()
        if reverify:
            flash(
                _(
                    "Saved. Because the agency's name, website or country changed, an admin will "
                    "verify it again; until then it cannot contact organizations."
                ),
                "success",
            )
        else:
            flash(_("Saved."), "success")
        return redirect(url_for("agencies.agency"))
    return render_template("agencies/agency.html", form=form, agency=agency)
