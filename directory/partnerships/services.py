"""Sending partnership requests and moving them through their workflow. Services never commit."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from babel.numbers import list_currencies
from flask_babel import gettext as _

from .. import regions, textrules
from ..accounts import standing
from ..accounts.models import Role, User
from ..accounts.standing import Hold, Scope
from ..audit.services import record
from ..db import insert_once, now_utc, update_if
from ..extensions import db
from ..labels import state_label
from ..organizations.models import ListingStatus, Organization
from ..validation import FieldErrors
from . import vocabulary as words
from .checks import Commitment, Maturity, RequestTerms, Settings, Stage, check_request
from .models import (
    ENDING_STATES,
    REQUEST_TRANSITIONS,
    AgencyBlock,
    Notification,
    PartnershipRequest,
    Party,
    RequestEvent,
    RequestFeedback,
    RequestMessage,
    RequestState,
)


class RequestError(ValueError):
    """A step that cannot be taken; the message says why, plainly."""


class MessageLimitError(RequestError):
    """The writer has written MESSAGES_PER_HOUR messages in the last hour."""


@dataclass
class RequestDraft:
    """What an agency fills in (see the issue's list); checked by :func:`validate_draft`."""

    title: str
    summary: str
    stages: list[str]
    maturity: str
    engagement: str
    paid: bool
    respond_by: date
    amount: Decimal | None = None
    currency: str | None = None
    basis: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    mode: str = "remote"
    place: str = ""
    languages: list[str] = field(default_factory=list)
    concerns: list[str] = field(default_factory=list)
    perspectives: list[str] = field(default_factory=list)
    diversity: list[str] = field(default_factory=list)
    asks_personal_story: bool = False
    commitments: list[str] = field(default_factory=list)

    def terms(self) -> RequestTerms:
        return terms_of(self)


def terms_of(source: Any) -> RequestTerms:
    """The terms the check looks at, from a draft or a stored request (they share the field names)."""
    return RequestTerms(
        stages=frozenset(Stage(s) for s in source.stages),
        maturity=Maturity(source.maturity),
        paid=source.paid,
        respond_by=source.respond_by,
        start=source.start_date,
        concerns=frozenset(source.concerns),
        perspectives=frozenset(source.perspectives),
        asks_personal_story=source.asks_personal_story,
        commitments=frozenset(Commitment(c) for c in source.commitments),
    )


def validate_draft(draft: RequestDraft) -> dict[str, list[str]]:
    """Field -> problems (empty when the draft can be sent)."""
    problems = FieldErrors()
    _check_project(draft, problems)
    _check_pay(draft, problems)
    _check_when_and_where(draft, problems)
    return dict(problems)


def _check_project(draft: RequestDraft, problems: FieldErrors) -> None:
    if not draft.title.strip():
        problems.add("title", _("Give the project a title."))
    if not draft.summary.strip():
        problems.add("summary", _("Describe the project in a few sentences."))
    if not draft.stages or not _known("stages", draft.stages):
        problems.add("stages", _("Choose at least one stage: design, implementation or evaluation."))
    if not _known("maturity", [draft.maturity]):
        problems.add("maturity", _("Say how far along the work is."))
    if not _known("engagement", [draft.engagement]):
        problems.add("engagement", _("Choose how the survivor would be engaged."))
    for name in ("concerns", "perspectives", "diversity"):
        if not _known(name, getattr(draft, name)):
            problems.add(name, _("Unknown choice."))
    if not _known("commitments", draft.commitments):
        problems.add("commitments", _("Unknown commitment."))
    bad_languages = [code for code in draft.languages if not regions.is_language(code)]
    if bad_languages:
        problems.add("languages", _("Unknown language code(s): %(codes)s.", codes=", ".join(bad_languages)))


def _known(name: str, values: list[str]) -> bool:
    """Whether every value is one of the request field's list (``vocabulary.TERMS``)."""
    return all(value in words.TERMS[name] for value in values)


def _check_pay(draft: RequestDraft, problems: FieldErrors) -> None:
    if not draft.paid:
        return
    if draft.amount is None or draft.amount <= 0:
        problems.add("amount", _("Give the amount you will pay."))
    if not draft.currency or draft.currency.upper() not in list_currencies():
        problems.add("currency", _("Give the currency as an ISO 4217 code, e.g. USD, EUR, XAF."))
    if draft.basis is None or not _known("basis", [draft.basis]):
        problems.add("basis", _("Say whether you pay by the hour, by the day, a fixed fee or a salary."))


def _check_when_and_where(draft: RequestDraft, problems: FieldErrors) -> None:
    if draft.start_date and draft.end_date and draft.end_date < draft.start_date:
        problems.add("end_date", _("The end comes before the start."))
    if not _known("mode", [draft.mode]):
        problems.add("mode", _("Say whether the work is remote, in person or both."))
    if draft.mode in words.ON_SITE_MODES and not draft.place.strip():
        problems.add("place", _("Say where the work takes place."))


def _agency_of(user: User) -> Any:
    agency = user.agency if user.role is Role.AGENCY_MEMBER else None
    if agency is None:
        raise RequestError(_("Only members of a verified agency can send partnership requests."))
    standing.require(user, RequestError, Scope.REQUESTS)
    return agency


def can_receive(org: Organization, agency: Any) -> bool:
    """Whether ``org`` takes requests from ``agency`` now (a block looks like a pause from outside)."""
    if org.status is not ListingStatus.APPROVED or not org.accepting_requests:
        return False
    blocked = db.session.scalar(
        sa.select(
            sa.exists().where(AgencyBlock.organization_id == org.id, AgencyBlock.agency_id == agency.id)
        )
    )
    return not blocked


def send_requests(
    user: User,
    orgs: list[Organization],
    draft: RequestDraft,
    form_token: str,
    today: date,
    settings: Settings | None = None,
    *,
    as_draft: bool = False,
) -> list[PartnershipRequest]:
    """One request per organization (none sees the others), each carrying the check's findings.

    Sending the same form again (the same ``form_token``) returns the requests already made.
    """
    agency = _agency_of(user)
    errors = validate_draft(draft)
    if errors:
        raise RequestError("; ".join(m for ms in errors.values() for m in ms))
    findings = [asdict(f) for f in check_request(draft.terms(), today, settings)]
    out = []
    for org in orgs:
        existing = db.session.scalar(
            sa.select(PartnershipRequest).where(
                PartnershipRequest.form_token == form_token, PartnershipRequest.organization_id == org.id
            )
        )
        if existing is not None:
            out.append(existing)
            continue
        if not can_receive(org, agency):
            raise RequestError(_("%(name)s is not taking requests at the moment.", name=org.name))
        values = asdict(draft)
        values["currency"] = (values["currency"] or "").upper() or None
        state = RequestState.DRAFT if as_draft else RequestState.SENT
        request = PartnershipRequest(
            agency_id=agency.id,
            organization_id=org.id,
            created_by_id=user.id,
            form_token=form_token,
            state=state,
            findings=[] if as_draft else findings,
            sent_at=None if as_draft else now_utc(),
            **values,
        )
        request.events.append(RequestEvent(from_state=None, to_state=state.value, by_id=user.id))
        db.session.add(request)
        out.append(request)
    return out


def published_organizations(slugs: list[str]) -> list[Organization]:
    """The published organizations among ``slugs`` (a request may be sent to several at once)."""
    public = Organization.status == ListingStatus.APPROVED
    return list(db.session.scalars(sa.select(Organization).where(Organization.slug.in_(slugs), public)))


def requests_for(user: User, limit: int = 200) -> list[PartnershipRequest]:
    """The requests ``user`` sees in their list, newest first: an agency member their agency's (drafts
    too), an organization member their organization's, an admin everyone's (drafts are the agency's
    own until sent)."""
    query = sa.select(PartnershipRequest).order_by(PartnershipRequest.id.desc())
    if user.role is Role.AGENCY_MEMBER:
        query = query.where(PartnershipRequest.agency_id == user.agency_id)
    else:
        query = query.where(PartnershipRequest.state != RequestState.DRAFT)
    if user.role is Role.ORG_MEMBER:
        query = query.where(PartnershipRequest.organization_id == user.organization_id)
    return list(db.session.scalars(query.limit(limit)))


def thread_of(request: PartnershipRequest) -> list[RequestMessage]:
    """The messages written in ``request``'s thread, oldest first."""
    query = sa.select(RequestMessage).where(RequestMessage.request_id == request.id)
    return list(db.session.scalars(query.order_by(RequestMessage.id)))


def party_of(user: User, request: PartnershipRequest) -> Party | None:
    """Which side of ``request`` the user is on (None: not a party; admins see but do not act)."""
    if user.role is Role.AGENCY_MEMBER and user.agency_id == request.agency_id:
        return Party.AGENCY
    if user.role is Role.ORG_MEMBER and user.organization_id == request.organization_id:
        return Party.ORGANIZATION
    return None


def side_hold(request: PartnershipRequest, party: Party) -> Hold | None:
    """Why ``party``'s side of ``request`` may not act in it now (None: it may; see accounts.standing)."""
    if party is Party.AGENCY:
        return standing.agency_hold(request.agency, Scope.REQUESTS)
    return standing.organization_hold(request.organization)


def other_party(party: Party) -> Party:
    return Party.ORGANIZATION if party is Party.AGENCY else Party.AGENCY


def sides_on_hold(request: PartnershipRequest) -> dict[Party, Hold]:
    """The sides of ``request`` that may not act in it now, and why."""
    return {party: hold for party in Party if (hold := side_hold(request, party)) is not None}


def standing_problem(request: PartnershipRequest, user: User, *, involves_other_side: bool) -> str | None:
    """Why ``user`` may not take a step on ``request`` because of either side's standing (None: they may).

    Their own side on hold: no step at all. The other side on hold: only steps that ask nothing of it
    (ending the request, private feedback, blocking); never a message, nor a move that waits on it.
    """
    hold = standing.hold_on(user, Scope.REQUESTS)
    if hold is not None:
        return standing.refusal(hold)
    party = party_of(user, request)
    if involves_other_side and party is not None:
        other = side_hold(request, other_party(party))
        if other is not None:
            return standing.counterpart_notice(other)
    return None


def available_moves(request: PartnershipRequest, user: User) -> list[RequestState]:
    """The moves ``user`` may make on ``request`` now (what the page offers; :func:`move` decides)."""
    party = party_of(user, request)
    moves = [to for (frm, to), who in REQUEST_TRANSITIONS.items() if frm is request.state and party in who]
    return [
        to
        for to in moves
        if standing_problem(request, user, involves_other_side=to not in ENDING_STATES) is None
    ]


def can_see(user: User, request: PartnershipRequest) -> bool:
    """Only the two parties and admins can see a request (a draft: only its agency)."""
    party = party_of(user, request)
    if request.state is RequestState.DRAFT:
        return party is Party.AGENCY
    return user.role is Role.ADMIN or party is not None


def move(
    request: PartnershipRequest,
    user: User,
    to: RequestState,
    note: str = "",
    settings: Settings | None = None,
    seen: RequestState | None = None,
) -> None:
    """Change the request's state when ``user``'s side may (see REQUEST_TRANSITIONS); keep the history.

    ``seen`` is the state the person acted on (by default the state as loaded). The change is one
    conditional update, made before anything else is written: of two people moving the same request at
    once (or a double click), the second is told the request has moved and nothing of theirs is written.
    """
    seen = request.state if seen is None else seen
    problem = textrules.problem(note, textrules.Kind.MULTI_LINE)
    if problem is not None:
        raise RequestError(problem)
    party = party_of(user, request)
    if seen is not request.state:
        raise RequestError(_("This request was already moved by someone else. Look at it again."))
    allowed = REQUEST_TRANSITIONS.get((request.state, to), frozenset())
    if party is None or party not in allowed:
        raise RequestError(
            _(
                "A request that is %(state)s cannot be moved to %(to)s by you.",
                state=state_label(request.state),
                to=state_label(to),
            )
        )
    problem = standing_problem(request, user, involves_other_side=to not in ENDING_STATES)
    if problem is not None:
        raise RequestError(problem)
    if (
        seen is RequestState.DRAFT
        and to is RequestState.SENT
        and not can_receive(request.organization, request.agency)
    ):
        # Sending a draft is sending: a paused, blocking or unpublished organization receives nothing.
        raise RequestError(
            _("%(name)s is not taking requests at the moment.", name=request.organization.name)
        )
    if not update_if(request, PartnershipRequest.state == seen, state=to):
        db.session.refresh(request)
        raise RequestError(_("This request was already moved by someone else. Look at it again."))
    request.events.append(RequestEvent(from_state=seen.value, to_state=to.value, by_id=user.id, note=note))
    record(user, f"request.{to.value}", "partnership_request", request.id)
    if seen is RequestState.DRAFT and to is RequestState.SENT:
        # Sending a draft: the findings are those at the moment of sending.
        request.sent_at = now_utc()
        request.findings = [
            asdict(f) for f in check_request(terms_of(request), request.sent_at.date(), settings)
        ]


#: The window over which messages per sender are counted.
MESSAGE_WINDOW = timedelta(hours=1)


def post_message(
    request: PartnershipRequest, user: User, body: str, per_hour: int | None = None
) -> RequestMessage:
    """Add a message to the request's thread (only the two parties write in it; each person at most
    ``per_hour`` messages an hour, over all threads)."""
    party = party_of(user, request)
    body = body.strip()
    if party is None:
        raise RequestError(_("Only the agency and the organization write in this thread."))
    problem = standing_problem(request, user, involves_other_side=True)
    if problem is not None:
        raise RequestError(problem)
    if not body or len(body) > 5000:
        raise RequestError(_("Write a message of at most 5,000 characters."))
    problem = textrules.problem(body, textrules.Kind.MULTI_LINE)
    if problem is not None:
        raise RequestError(problem)
    if per_hour is not None and _messages_since(user, now_utc() - MESSAGE_WINDOW) >= per_hour:
        raise MessageLimitError(
            _(
                "You have written %(num)d messages in the last hour. Please wait a little before "
                "writing more; what you wrote is below.",
                num=per_hour,
            )
        )
    message = RequestMessage(request_id=request.id, author_id=user.id, party=party.value, body=body)
    db.session.add(message)
    return message


def _messages_since(user: User, since: datetime) -> int:
    count = sa.select(sa.func.count(RequestMessage.id)).where(
        RequestMessage.author_id == user.id, RequestMessage.at >= since
    )
    return int(db.session.scalar(count) or 0)


def other_side(request: PartnershipRequest, user: User) -> list[User]:
    """The people on the other side of ``request`` from ``user`` (who should hear about a change).

    Nobody when that side is on hold (suspended, or an agency no longer verified): it is sent nothing,
    neither a notice nor an email, until it may act again.
    """
    other = Party.ORGANIZATION if party_of(user, request) is Party.AGENCY else Party.AGENCY
    if side_hold(request, other) is not None:
        return []
    if other is Party.ORGANIZATION:
        condition = User.organization_id == request.organization_id
    else:
        condition = User.agency_id == request.agency_id
    return list(db.session.scalars(sa.select(User).where(condition, User.is_suspended.is_(False))))


def notify(request: PartnershipRequest, people: list[User], text: str) -> None:
    db.session.add_all(Notification(user_id=p.id, request_id=request.id, text=text[:300]) for p in people)


def unread_count(user: User) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def unread_by_request(user: User) -> dict[int, int]:
    """How many unread notices ``user`` has about each request (requests without any are left out)."""
    rows = db.session.execute(
        sa.select(Notification.request_id, sa.func.count(Notification.id))
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .group_by(Notification.request_id)
    )
    return {request_id: int(count) for request_id, count in rows}


def unread_notices(request: PartnershipRequest, user: User) -> list[Notification]:
    """``user``'s unread notices about ``request``, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(
                Notification.user_id == user.id,
                Notification.request_id == request.id,
                Notification.read_at.is_(None),
            )
            .order_by(Notification.id)
        )
    )


def mark_read(request: PartnershipRequest, user: User) -> None:
    """Mark ``user``'s notices about ``request`` as read (done by a POST, never by viewing the page)."""
    db.session.execute(
        sa.update(Notification)
        .where(
            Notification.user_id == user.id,
            Notification.request_id == request.id,
            Notification.read_at.is_(None),
        )
        .values(read_at=now_utc())
    )


def set_accepting(org: Organization, user: User, accepting: bool) -> None:
    """Pause or resume new requests (agencies then see "not taking requests at the moment")."""
    standing.require(user, RequestError)
    org.accepting_requests = accepting
    record(user, "requests.resume" if accepting else "requests.pause", "organization", org.id)


def block_problem(request: PartnershipRequest, user: User) -> str | None:
    """Why ``user`` may not block the agency behind ``request`` (None: they may)."""
    if party_of(user, request) is not Party.ORGANIZATION:
        return _("Only the organization can block an agency.")
    return standing_problem(request, user, involves_other_side=False)


def has_blocked(request: PartnershipRequest) -> bool:
    """Whether the organization has blocked the agency behind ``request``."""
    found = sa.exists().where(
        AgencyBlock.organization_id == request.organization_id, AgencyBlock.agency_id == request.agency_id
    )
    return bool(db.session.scalar(sa.select(found)))


def block_agency(request: PartnershipRequest, user: User) -> None:
    """The organization blocks the request's agency: no more requests from it, and it is not told why."""
    problem = block_problem(request, user)
    if problem is not None:
        raise RequestError(problem)
    # Blocking twice (a double click, two members at once) is one block and one audit entry.
    if insert_once(
        db.session, AgencyBlock, organization_id=request.organization_id, agency_id=request.agency_id
    ):
        record(
            user,
            "agency.block",
            "organization",
            request.organization_id,
            after={"agency_id": request.agency_id},
        )


#: Fewer responses than this in a group are never shown: they could identify people.
MIN_GROUP = 5


def leave_feedback(
    request: PartnershipRequest,
    user: User,
    respectful: bool,
    paid_on_time: bool | None,
    *,
    input_shaped_decisions: bool | None = None,
    development_offered: bool | None = None,
) -> None:
    """Each side leaves private feedback once, after completion (None: "don't know" or not answered)."""
    party = party_of(user, request)
    if party is None or request.state is not RequestState.COMPLETED:
        raise RequestError(_("Feedback can be left by either side once the request is completed."))
    problem = standing_problem(request, user, involves_other_side=False)
    if problem is not None:
        raise RequestError(problem)
    # One per side, decided by the unique (request, side) constraint, even for two members at once.
    if not insert_once(
        db.session,
        RequestFeedback,
        request_id=request.id,
        party=party.value,
        respectful=respectful,
        paid_on_time=paid_on_time,
        input_shaped_decisions=input_shaped_decisions,
        development_offered=development_offered,
    ):
        raise RequestError(_("Your side has already left feedback on this request."))


@dataclass
class FeedbackGroup:
    """One side's feedback added up; a share is None when fewer than MIN_GROUP answered that question."""

    party: str
    responses: int
    respectful_share: float | None
    paid_on_time_share: float | None
    input_shaped_share: float | None
    development_offered_share: float | None


def share_of_yes(answers: list[bool | None]) -> float | None:
    """The share of "yes" among the yes-or-no answers; None when fewer than MIN_GROUP gave one (k-anonymity:
    a share of four answers or fewer could tell who said what). "Don't know" counts for neither."""
    given = [a for a in answers if a is not None]
    if len(given) < MIN_GROUP:
        return None
    return sum(given) / len(given)


def feedback_summary() -> list[FeedbackGroup]:
    """Feedback per side, in aggregate only, and only for groups of at least MIN_GROUP responses."""
    out = []
    for party in Party:
        rows = db.session.execute(
            sa.select(
                RequestFeedback.respectful,
                RequestFeedback.paid_on_time,
                RequestFeedback.input_shaped_decisions,
                RequestFeedback.development_offered,
            ).where(RequestFeedback.party == party.value)
        ).all()
        if len(rows) < MIN_GROUP:
            out.append(FeedbackGroup(party.value, len(rows), None, None, None, None))
            continue
        out.append(
            FeedbackGroup(
                party.value,
                len(rows),
                share_of_yes([r.respectful for r in rows]),
                share_of_yes([r.paid_on_time for r in rows]),
                share_of_yes([r.input_shaped_decisions for r in rows]),
                share_of_yes([r.development_offered for r in rows]),
            )
        )
    return out
