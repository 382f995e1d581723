"""An organization's own pages: where its listing stands, the editor, submit and unpublish."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..accounts.access import org_member_required, own_organization
from ..accounts.forms import DeleteAccountForm
from ..accounts.passwords import verify_password
from ..accounts.services import delete_organization
from ..db import column_integer
from ..extensions import db
from ..formerrors import show_errors
from ..geo import get_geo
from ..organizations import editing
from ..organizations.models import ListingStatus, LocationPrecision, Organization, Visibility
from ..organizations.sections import SECTIONS
from ..organizations.services import TERM_FIELDS, ListingValidationError, OrganizationInput
from ..partnerships.services import RequestError, set_accepting
from ..reports.services import forwarded_reports
from .forms import (
    TRANSLATED,
    TRANSLATION_LANGUAGES,
    ProfileForm,
    error_field,
    form_fields,
    keep_only,
    offer_language,
)

bp = Blueprint("workspace", __name__, url_prefix="/my")


@bp.get("/organization")
@org_member_required
def dashboard() -> str:
    """Where the listing stands: its status, the admin's message, and what is waiting for review."""
    org = own_organization()
    revision = editing.pending_revision(org)
    changes = (
        editing.diff(editing.input_from_org(org), editing.input_from_dict(revision.data)) if revision else {}
    )
    reports = forwarded_reports(org)
    return render_template(
        "workspace/dashboard.html", org=org, revision=revision, changes=changes, reports=reports
    )


#: The listing's fields read from the form as typed text ("" when left empty) ...
_TEXT_FIELDS = (
    "name",
    "country_code",
    "city",
    "summary",
    "description",
    "leadership_narrative",
    "survivor_attestation",
)
#: ... as lists (nothing ticked or typed: an empty list) ...
_LIST_FIELDS = (*TERM_FIELDS.values(), "languages", "serves")
#: ... and as numbers (None when left empty).
_NUMBER_FIELDS = ("year_incorporated", "latitude", "longitude")


def _form_to_input(form: ProfileForm) -> OrganizationInput:
    """The whole listing as the editor's form holds it (fields of other sections: what is saved now)."""
    return OrganizationInput(
        **{name: getattr(form, name).data or "" for name in _TEXT_FIELDS},
        **{name: getattr(form, name).data or [] for name in _LIST_FIELDS},
        **{name: getattr(form, name).data for name in _NUMBER_FIELDS},
        **_contacts(form),
        **_other_versions(form),
        website=form.website.data or None,
        location_precision=LocationPrecision(form.location_precision.data),
        text_language=form.text_language.data or "en",
    )


def _contacts(form: ProfileForm) -> dict[str, Any]:
    """The email address and phone number (None when left empty), and who may see each."""
    return {
        "email": (form.email.data or "").strip() or None,
        "email_visibility": Visibility(form.email_visibility.data),
        "phone": (form.phone.data or "").strip() or None,
        "phone_visibility": Visibility(form.phone_visibility.data),
    }


def _other_versions(form: ProfileForm) -> dict[str, dict[str, str]]:
    """The summary and the leadership narrative in other languages: {language: text}, empty ones left out."""
    return {
        name: {
            code: text
            for code in TRANSLATION_LANGUAGES
            if (text := (getattr(form, f"{prefix}_{code}").data or "").strip())
        }
        for name, (prefix, _limit) in TRANSLATED.items()
    }


def _fill(
    form: ProfileForm, data: OrganizationInput, version: int | None, names: Collection[str] | None = None
) -> None:
    """Put ``data`` in the form's fields (only those in ``names``, when given) and ``version`` (if any)."""
    values = editing.input_to_dict(data)
    for name, value in values.items():
        if names is not None and name not in names:
            continue
        if name in TRANSLATED:  # one field per language
            prefix = TRANSLATED[name][0]
            for code in TRANSLATION_LANGUAGES:
                getattr(form, f"{prefix}_{code}").data = value.get(code, "")
            continue
        field = getattr(form, name, None)
        if field is None:
            continue
        field.data = value
    if version is not None:
        form.edit_version.data = str(version)


def _per_form_field(changes: dict[str, tuple[Any, Any]]) -> dict[str, tuple[Any, Any]]:
    """Changes keyed by the form's fields: the other versions of a text one per language."""
    out: dict[str, tuple[Any, Any]] = {}
    for name, (before, after) in changes.items():
        if name in TRANSLATED:
            for code in sorted({*before, *after}):
                if before.get(code, "") != after.get(code, ""):
                    out[error_field(f"{name}.{code}")] = (before.get(code, ""), after.get(code, ""))
        else:
            out[name] = (before, after)
    return out


def _version(raw: str | None) -> int:
    """The version the editor started from; -1 (so a conflict) when the form's value is not a version."""
    version = column_integer(raw or "0")
    return -1 if version is None else version


@bp.get("/organization/edit")
@org_member_required
def edit() -> str:
    """The profile editor's overview: each short section, how far it is, and a link to it."""
    org = own_organization()
    progress = editing.section_progress(org)
    return render_template("workspace/edit.html", org=org, progress=progress)


@bp.route(f"/organization/edit/<any({', '.join(SECTIONS)}):section>", methods=["GET", "POST"])
@org_member_required
def edit_section(section: str) -> str | Response:
    """One section of the profile, saved on its own; on a published listing, changes wait for review
    (safety changes excepted)."""
    org = own_organization()
    part = SECTIONS[section]
    form = ProfileForm()
    saved = editing.editable_input(org)
    if request.method == "GET":
        _fill(form, saved, editing.section_version(org, section))
    else:  # the other sections' fields, as saved now: this save leaves them alone
        _fill(form, saved, None, [name for name in editing.input_to_dict(saved) if name not in part.fields])
    offer_language(form, saved.text_language)
    keep_only(form, form_fields(part.fields))
    conflict = None
    if form.validate_on_submit():
        try:
            base = _version(form.edit_version.data)
            data = _form_to_input(form)
            data.text_language = form.text_language.data or saved.text_language
            result = editing.save_section(org, part, data, base, current_user, get_geo().gazetteer)
        except editing.EditConflictError as exc:
            db.session.rollback()  # nothing was written; let the winner's neighbours go on at once
            conflict = _per_form_field(editing.diff(exc.theirs, exc.yours))
            form.edit_version.data = str(exc.version)
            flash(
                _(
                    "Someone else saved this profile while you were editing. "
                    "Compare the two versions below, then save again."
                ),
                "error",
            )
        except editing.ListingOnHoldError as exc:
            db.session.rollback()  # a suspension found after the save took the listing: nothing stays
            flash(str(exc), "error")
        except ListingValidationError as exc:
            show_errors(form, {error_field(name): messages for name, messages in exc.errors.items()})
        else:
            db.session.commit()
            if result.for_review:
                flash(
                    _(
                        "Saved. The public keeps seeing the approved version "
                        "until an admin reviews your changes."
                    ),
                    "success",
                )
            elif result.applied and org.status is ListingStatus.APPROVED:
                flash(_("Saved. Your change shows less, so it took effect at once."), "success")
            else:
                flash(_("Saved."), "success")
            return redirect(url_for("workspace.edit"))
    return render_template(
        "workspace/section.html",
        form=form,
        org=org,
        section=part,
        fields=form_fields(part.fields),
        number=list(SECTIONS).index(section) + 1,
        total=len(SECTIONS),
        conflict=conflict,
    )


@bp.post("/organization/submit")
@org_member_required
def submit() -> Response:
    """Send the draft to the admins' review queue."""
    org = own_organization()
    try:
        editing.submit_for_review(org, current_user)
    except ListingValidationError as exc:
        for messages in exc.errors.values():
            flash(" ".join(messages), "error")
        return redirect(url_for("workspace.edit"))
    except editing.EmailNotConfirmedError:
        flash(
            _(
                "Confirm your email address first: follow the link we sent you, or ask for a new one "
                "on your account page."
            ),
            "error",
        )
        return redirect(url_for("workspace.dashboard"))
    except editing.ListingOnHoldError as exc:
        flash(str(exc), "error")
        return redirect(url_for("workspace.dashboard"))
    except editing.ListingStateError:
        flash(_("This listing cannot be submitted in its current state."), "error")
        return redirect(url_for("workspace.dashboard"))
    db.session.commit()
    flash(_("Submitted. An admin will review your listing; you will get an email."), "success")
    return redirect(url_for("workspace.dashboard"))


@bp.route("/organization/delete", methods=["GET", "POST"])
@org_member_required
def delete() -> str | Response:
    """The owner deletes the organization and its listing (password confirmed)."""
    org = own_organization()
    form = DeleteAccountForm()
    if not current_user.is_owner:
        abort(403)
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.password.data):
            form.password.errors = [_("That is not your current password.")]
        else:
            delete_organization(org, current_user._get_current_object())
            db.session.commit()
            flash(_("The organization and its listing have been deleted."), "success")
            return redirect(url_for("accounts.account"))
    return render_template("workspace/delete.html", form=form, org=org)


@bp.post("/organization/requests")
@org_member_required
def requests_setting() -> Response:
    """Pause or resume new partnership requests."""
    org = own_organization()
    try:
        set_accepting(org, current_user, request.form.get("accepting") == "yes")
    except RequestError as exc:
        flash(str(exc), "error")
        return redirect(url_for("workspace.dashboard"))
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("workspace.dashboard"))


@bp.post("/organization/confirm")
@org_member_required
def confirm_current() -> Response:
    """ "Our listing is still correct": ask the admins to re-verify it."""
    return _listing_step(
        editing.confirm_still_correct,
        _("Thank you. An admin will verify your listing again."),
        _("Only a published listing can be re-verified."),
    )


@bp.post("/organization/unpublish")
@org_member_required
def unpublish() -> Response:
    """Take the listing out of the directory at once."""
    return _listing_step(
        editing.unpublish,
        _("Your listing is no longer public. Submit it again whenever you want it back."),
        _("Only a published listing can be unpublished."),
    )


def _listing_step(step: Callable[[Organization, Any], None], done: str, refused: str) -> Response:
    """Take one step on the member's listing and say ``done``; or say why not (``refused`` when the
    listing is not in a state that allows it) and change nothing."""
    try:
        step(own_organization(), current_user)
    except editing.ListingOnHoldError as exc:
        flash(str(exc), "error")
    except editing.ListingStateError:
        flash(refused, "error")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for("workspace.dashboard"))
