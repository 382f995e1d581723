"""Partnership request pages: the request form (with the check), the list, and one request."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..accounts import standing
from ..accounts.access import agency_member_required
from ..accounts.models import Role
from ..db import now_utc
from ..extensions import db
from ..formerrors import show_errors
from ..forms import note_invalid
from ..i18n import language_of
from ..labels import state_label
from ..mail import queue_notice
from ..organizations.models import Organization
from ..organizations.public import public_organization
from ..textrules import Kind, is_allowed
from . import services
from . import vocabulary as words
from .checks import Settings, check_request
from .forms import RequestForm
from .models import PartnershipRequest, Party, RequestState

bp = Blueprint("partnerships", __name__)


def check_settings() -> Settings:
    config = current_app.config
    return Settings(config["PARTNERSHIP_MIN_WORKING_DAYS"], config["PARTNERSHIP_MIN_START_DAYS"])


def _draft(form: RequestForm) -> services.RequestDraft:
    return services.RequestDraft(
        title=form.title.data or "",
        summary=form.summary.data or "",
        stages=form.stages.data or [],
        maturity=form.maturity.data or "",
        engagement=form.engagement.data or "",
        paid=form.paid.data == "yes",
        amount=form.amount.data,
        currency=(form.currency.data or "").strip() or None,
        basis=form.basis.data or None,
        respond_by=form.respond_by.data,
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        mode=form.mode.data or "",
        place=form.place.data or "",
        languages=form.languages.data or [],
        concerns=form.concerns.data or [],
        perspectives=form.perspectives.data or [],
        diversity=form.diversity.data or [],
        asks_personal_story=form.asks_personal_story.data == "yes",
        commitments=form.commitments.data or [],
    )


@bp.route("/organizations/<slug>/request", methods=["GET", "POST"])
@agency_member_required
def new_request(slug: str) -> str | Response:
    """Ask one organization to take part in a project; the survivor-informed check runs first."""
    org = public_organization(slug)
    if org is None:
        abort(404)
    return _request_form([org])


@bp.route("/requests/new", methods=["GET", "POST"])
@agency_member_required
def new_requests() -> str | Response:
    """The same for several organizations chosen from a search: one request each, none sees the others."""
    # A value no slug could be (a control character in it) names no organization.
    slugs = [s for s in request.args.getlist("org")[:50] if is_allowed(s, Kind.SINGLE_LINE)]
    orgs = services.published_organizations(slugs)
    if not orgs:
        abort(404)
    return _request_form(sorted(orgs, key=lambda o: o.name))


def _request_form(orgs: list[Organization]) -> str | Response:
    agency = current_user.agency
    if not agency.is_verified:
        abort(403)
    receiving = [org for org in orgs if services.can_receive(org, agency)]
    if not receiving:
        return render_template("partnerships/not_taking.html", orgs=orgs)
    skipped = [org for org in orgs if org not in receiving]
    form = RequestForm()
    if request.method == "GET":
        form.form_token.data = secrets.token_urlsafe(24)
    findings = None
    if form.validate_on_submit():
        draft = _draft(form)
        problems = services.validate_draft(draft)
        show_errors(form, problems)
        if not problems:
            today = now_utc().date()
            findings = check_request(draft.terms(), today, check_settings())
            action = request.form.get("action")
            if action in ("send", "draft"):
                sent = _send(receiving, draft, form.form_token.data or "", today, as_draft=action == "draft")
                if sent:
                    if len(sent) == 1:
                        return redirect(url_for("partnerships.show", request_id=sent[0].id))
                    return redirect(url_for("partnerships.index"))
    return render_template(
        "partnerships/new.html", form=form, orgs=receiving, skipped=skipped, findings=findings
    )


def _send(
    orgs: list[Organization], draft: services.RequestDraft, token: str, today: date, as_draft: bool = False
) -> list:
    """Send (or keep as a draft), notify each organization's members, and say so; [] when refused."""
    try:
        sent = services.send_requests(
            current_user, orgs, draft, token, today, check_settings(), as_draft=as_draft
        )
    except services.RequestError as exc:
        flash(str(exc), "error")
        return []
    if as_draft:
        db.session.commit()
        flash(_("Saved as a draft: only your agency sees it until you send it."), "success")
        return sent
    for item in sent:
        _tell(
            services.other_side(item, current_user),
            item,
            lambda item=item: _("New partnership request: %(title)s", title=item.title),
        )
    db.session.commit()
    flash(
        ngettext("Your request has been sent.", "Your %(num)d requests have been sent.", len(sent)), "success"
    )
    return sent


@bp.get("/requests")
@login_required
def index() -> str:
    """The agency's requests, or the organization's inbox (newest first), or all for admins."""
    requests = services.requests_for(current_user, limit=200)
    # The side named in the "With" column, and a word beside it when that side is on hold.
    shown = Party.AGENCY if current_user.role is Role.ORG_MEMBER else Party.ORGANIZATION
    on_hold = {r.id: standing.label(h) for r in requests if (h := services.side_hold(r, shown)) is not None}
    return render_template(
        "partnerships/index.html",
        requests=requests,
        unread_counts=services.unread_by_request(current_user),
        on_hold=on_hold,
    )


def _visible(request_id: int) -> PartnershipRequest:
    found = db.session.get(PartnershipRequest, request_id)
    if found is None or not services.can_see(current_user, found):
        abort(404)  # not 403: nobody learns that a request exists
    return found


@bp.get("/requests/<int:request_id>")
@login_required
def show(request_id: int) -> str:
    """One request, its thread and the reader's unread notices about it (reading marks nothing)."""
    return _page(_visible(request_id))


def _page(found: PartnershipRequest, draft: str = "", message_error: str | None = None) -> str:
    """The request page; ``draft`` is a message that could not be sent, kept for its writer."""
    if message_error is not None:
        note_invalid("body", _("Your message"), message_error)
    party = services.party_of(current_user, found)
    messages = services.thread_of(found)
    # A side on hold is told why it cannot act; the other side (and admins) that it is on hold.
    holds = services.sides_on_hold(found)
    moves = services.available_moves(found, current_user)
    return render_template(
        "partnerships/show.html",
        req=found,
        moves=moves,
        confirm_first=words.CONFIRM_FIRST,
        accept_shares=RequestState.ACCEPTED in moves,
        blocked=party is Party.ORGANIZATION and services.has_blocked(found),
        party=party,
        own_hold=standing.refusal(holds[party]) if party in holds else None,
        counterpart_holds=[standing.counterpart_notice(h) for p, h in holds.items() if p is not party],
        may_write=services.standing_problem(found, current_user, involves_other_side=True) is None,
        may_act=services.standing_problem(found, current_user, involves_other_side=False) is None,
        messages=messages,
        notices=services.unread_notices(found, current_user),
        draft=draft,
        message_error=message_error,
    )


@bp.post("/requests/<int:request_id>/read")
@login_required
def mark_read(request_id: int) -> Response:
    """Mark one's notices about this request as read (any other step on it does so too)."""
    found = _visible(request_id)
    services.mark_read(found, current_user)
    db.session.commit()
    return redirect(url_for("partnerships.show", request_id=found.id))


@bp.post("/requests/<int:request_id>/messages")
@login_required
def message(request_id: int) -> Response | tuple[str, int]:
    """Write in the request's thread; the other side is notified. A message that cannot be sent is shown
    again with the reason at the field, so nothing typed is lost (429 when it is the hourly limit)."""
    found = _visible(request_id)
    body = request.form.get("body", "")
    try:
        services.post_message(found, current_user, body, current_app.config["MESSAGES_PER_HOUR"])
    except services.RequestError as exc:
        db.session.rollback()
        status = 429 if isinstance(exc, services.MessageLimitError) else 200
        return _page(found, draft=body, message_error=str(exc)), status
    people = services.other_side(found, current_user)
    _tell(people, found, lambda: _("New message about “%(title)s”", title=found.title))
    services.mark_read(found, current_user)  # whoever answers has read what came before
    db.session.commit()
    return redirect(url_for("partnerships.show", request_id=found.id) + "#thread")


def _tell(people: list, found: PartnershipRequest, text: Callable[[], str]) -> None:
    """Tell people about a step on a request: a notice in the app and one by email (a few an hour; the
    rest in an hourly digest), both queued in this transaction, each in its reader's language (``text``
    says it in the language in force when called)."""
    link = url_for("partnerships.show", request_id=found.id, _external=True)
    for person in people:
        with language_of(person):
            said = text()
            services.notify(found, [person], said)
            body = render_template("partnerships/mail/notice.txt", subject=said, link=link)
            queue_notice(person.email, said, body)


def _act(
    found: PartnershipRequest, act: Callable[[], None], done: str, notice: Callable[[], str] | None
) -> Response:
    """Run one step on a request; on success commit, tell the other side (``notice``) and say ``done``."""
    try:
        act()
    except services.RequestError as exc:
        flash(str(exc), "error")
    else:
        if notice:
            _tell(services.other_side(found, current_user), found, notice)
        services.mark_read(found, current_user)  # whoever acts on a request has read its notices
        db.session.commit()
        flash(done, "success")
    return redirect(url_for("partnerships.show", request_id=found.id))


@bp.post("/requests/<int:request_id>/move")
@login_required
def move(request_id: int) -> str | Response:
    """Take the next step (accept, decline, ask for more information, ...); the other side is told.

    A step that cannot be undone is confirmed first: without ``confirmed=yes`` the answer is a page that
    asks, whose form sends the same step again, confirmed (no script needed)."""
    found = _visible(request_id)
    try:
        to = RequestState(request.form.get("to", ""))
        # The state the page showed (older forms may lack it: then the state as loaded now).
        seen = RequestState(request.form["from"]) if request.form.get("from") else None
    except ValueError:
        flash(_("Unknown step."), "error")
        return redirect(url_for("partnerships.show", request_id=found.id))
    note = request.form.get("note", "")
    if (
        to in words.CONFIRM_FIRST
        and request.form.get("confirmed") != "yes"
        and seen in (None, found.state)
        and to in services.available_moves(found, current_user)
    ):
        question, consequence = words.CONFIRMATIONS[to]
        return render_template(
            "partnerships/confirm.html",
            req=found,
            question=question,
            consequence=consequence,
            action=words.action_label(found.state, to),
            target=url_for("partnerships.move", request_id=found.id),
            fields={"to": to.value, "from": found.state.value},
            note=note,
        )
    was = found.state
    return _act(
        found,
        lambda: services.move(found, current_user, to, note, check_settings(), seen=seen),
        _("Done."),
        # Withdrawing a draft tells nobody: the organization never saw it.
        None
        if was is RequestState.DRAFT and to is RequestState.WITHDRAWN
        else lambda: _("“%(title)s” is now: %(state)s", title=found.title, state=state_label(to)),
    )


@bp.post("/requests/<int:request_id>/block")
@login_required
def block(request_id: int) -> str | Response:
    """The organization blocks the agency behind a request (the agency is not told), once confirmed."""
    found = _visible(request_id)
    if request.form.get("confirmed") != "yes" and services.block_problem(found, current_user) is None:
        return render_template(
            "partnerships/confirm.html",
            req=found,
            question=_("Block %(agency)s?", agency=found.agency.name),
            consequence=_(
                "%(agency)s can no longer send your organization requests. It is not told why.",
                agency=found.agency.name,
            ),
            action=_("Block this agency"),
            target=url_for("partnerships.block", request_id=found.id),
            fields={},
            note=None,
        )
    return _act(
        found,
        lambda: services.block_agency(found, current_user),
        _("This agency can no longer send you requests. It is not told why."),
        None,
    )


def _yes_no(name: str) -> bool | None:
    """A yes-or-no question of the feedback form; anything else ("don't know", not answered) is None."""
    return {"yes": True, "no": False}.get(request.form.get(name, ""))


@bp.post("/requests/<int:request_id>/feedback")
@login_required
def feedback(request_id: int) -> Response:
    """Private feedback after completion (admins only ever see it in aggregate)."""
    found = _visible(request_id)
    respectful = request.form.get("respectful") == "yes"
    return _act(
        found,
        lambda: services.leave_feedback(
            found,
            current_user,
            respectful,
            _yes_no("paid_on_time"),
            input_shaped_decisions=_yes_no("input_shaped_decisions"),
            development_offered=_yes_no("development_offered"),
        ),
        _("Thank you for your feedback."),
        None,
    )
