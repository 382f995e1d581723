"""Registration, sign-in and out, the account page, password reset and email confirmation."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from .. import textrules
from ..agencies.models import AgencyType
from ..extensions import db
from ..formerrors import show_errors
from ..i18n import language_choices, remember_choice, shown_language
from ..organizations.services import ListingValidationError
from ..ratelimits import limit_form_posts
from . import invitations, registration, services, session_limits
from . import two_factor as totp
from .forms import (
    AcceptInvitationForm,
    ConfirmEmailForm,
    DeleteAccountForm,
    EmailChangeForm,
    ForgotPasswordForm,
    InviteForm,
    LanguageForm,
    LoginForm,
    NameForm,
    PasswordChangeForm,
    RegisterAgencyForm,
    RegisterOrganizationForm,
    ResetPasswordForm,
    TwoFactorForm,
)
from .loader import load_user
from .models import Role, User
from .services import AccountError, LoginThrottledError, Person

bp = Blueprint("accounts", __name__)


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site; None for anything that could leave it."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or not textrules.is_allowed(target, textrules.Kind.SINGLE_LINE):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def landing_page(user: User) -> str:
    """Where signing in leads when no ``next`` was given: an organization's member to its listing, an
    agency's member to its requests, an admin to the review queue, anyone else to their account."""
    if user.role is Role.ORG_MEMBER and user.organization_id is not None:
        return url_for("workspace.dashboard")
    if user.role is Role.AGENCY_MEMBER and user.agency_id is not None:
        return url_for("partnerships.index")
    if user.role is Role.ADMIN:
        return url_for("admin.queue")
    return url_for("accounts.account")


_ORG_FIELDS = {"name": "org_name", "country_code": "country_code", "city": "city"}


@bp.route("/register/organization", methods=["GET", "POST"])
@limit_form_posts
def register_organization() -> str | Response:
    """A survivor-led organization registers; its account and draft listing are created once the
    emailed link is followed."""
    form = RegisterOrganizationForm()
    if form.validate_on_submit():
        person = Person(form.display_name.data, form.email.data, form.password.data)
        try:
            registration.register_organization(
                person,
                form.org_name.data,
                form.country_code.data,
                form.city.data or "",
                language=shown_language(),  # the profile is likely written in the page's language
            )
        except AccountError as exc:
            show_errors(form, exc.errors)
        except ListingValidationError as exc:
            show_errors(form, {_ORG_FIELDS.get(k, k): v for k, v in exc.errors.items()})
        else:
            return _registered()
    return render_template("accounts/register_organization.html", form=form)


@bp.route("/register/agency", methods=["GET", "POST"])
@limit_form_posts
def register_agency() -> str | Response:
    """An agency registers; once its account exists it still cannot contact anyone until verified."""
    form = RegisterAgencyForm()
    if form.validate_on_submit():
        person = Person(form.display_name.data, form.email.data, form.password.data)
        try:
            registration.register_agency(
                person,
                form.agency_name.data,
                AgencyType(form.agency_type.data),
                form.country_code.data,
                form.website.data,
                form.description.data,
            )
        except AccountError as exc:
            show_errors(form, exc.errors)
        else:
            return _registered()
    return render_template("accounts/register_agency.html", form=form)


def _registered() -> Response:
    db.session.commit()
    # The same page whether or not the address already had an account.
    return redirect(url_for("accounts.check_email"))


@bp.route("/register/finish/<token>", methods=["GET", "POST"])
def finish_registration(token: str) -> str | Response | tuple[str, int]:
    """The emailed link: a page whose button creates the account (opening the link creates nothing)."""
    pending = registration.find_pending(token)
    if pending is None:
        return render_template("accounts/token_invalid.html"), 400
    form = ConfirmEmailForm()
    if form.validate_on_submit():
        try:
            user = registration.finish_registration(pending)
        except (AccountError, ListingValidationError) as exc:
            db.session.rollback()
            for messages in exc.errors.values():
                flash(" ".join(messages), "error")
            return redirect(url_for("accounts.login"))
        services.adopt_language(user, shown_language())
        db.session.commit()
        session.clear()
        login_user(user)
        session_limits.begin()
        flash(_("Welcome: your account is ready and your email address is confirmed."), "success")
        return redirect(url_for("workspace.dashboard" if user.organization_id else "agencies.agency"))
    return render_template("accounts/finish_registration.html", form=form, email=pending.email)


@bp.get("/register/check-email")
def check_email() -> str:
    return render_template("accounts/check_email.html")


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, request.remote_addr or "")
        except LoginThrottledError:
            db.session.rollback()
            form.password.errors = [_("Too many attempts. Wait a few minutes, or reset your password below.")]
            status = 429
        else:
            if user is not None:
                services.adopt_language(user, shown_language())
            db.session.commit()  # the attempt is recorded either way
            if user is not None:
                # A new session at sign-in: nothing from before it (or planted in it) carries over.
                session.clear()
            if user is not None and user.is_admin:
                # Admins are signed in only after their second factor.
                session["2fa_user"] = user.get_id()
                session["2fa_next"] = safe_next(request.args.get("next"))
                return redirect(url_for("accounts.two_factor"))
            if user is not None:
                login_user(user)  # Flask-Login renews the session identifier here
                session_limits.begin()
                return redirect(safe_next(request.args.get("next")) or landing_page(user))
            form.password.errors = [_("That email address and password do not match an account.")]
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout() -> Response:
    services.end_sessions(current_user)
    db.session.commit()
    logout_user()
    flash(_("You are signed out."), "success")
    return redirect(url_for("pages.home"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> str | Response:
    """Change one's language (see ``save_language``), name, email address or password."""
    name_form = NameForm(prefix="name", display_name=current_user.display_name)
    email_form = EmailChangeForm(prefix="email")
    password_form = PasswordChangeForm(prefix="password")
    action = request.form.get("action")
    if request.method == "POST":
        if action == "name" and name_form.validate_on_submit():
            services.change_name(current_user, name_form.display_name.data)
            db.session.commit()
            flash(_("Your name is saved."), "success")
            return redirect(url_for("accounts.account"))
        if action == "email" and email_form.validate_on_submit():
            try:
                confirm_to = services.change_email(
                    current_user, email_form.email.data, email_form.password.data
                )
            except AccountError as exc:
                show_errors(email_form, exc.errors)
            else:
                if confirm_to is not None:
                    services.send_confirmation(current_user)
                elif services.normalize_email(email_form.email.data) != current_user.email:
                    services.send_existing_account_notice(email_form.email.data)
                db.session.commit()
                flash(_("If that address can be used, we have sent a confirmation link to it."), "success")
                return redirect(url_for("accounts.account"))
        if action == "password" and password_form.validate_on_submit():
            try:
                services.change_password(
                    current_user, password_form.current_password.data, password_form.new_password.data
                )
            except AccountError as exc:
                show_errors(password_form, exc.errors)
            else:
                db.session.commit()
                # A fresh cookie for this session (all others are now void); the real object, not the proxy.
                # The session keeps its start time: a new password does not lengthen it.
                login_user(current_user._get_current_object())
                flash(_("Your password is changed. Other devices have been signed out."), "success")
                return redirect(url_for("accounts.account"))
        if action not in ("name", "email", "password"):
            abort(400)
    return _account_page(_language_form(), name_form, email_form, password_form)


def _account_page(
    language_form: LanguageForm,
    name_form: NameForm | None = None,
    email_form: EmailChangeForm | None = None,
    password_form: PasswordChangeForm | None = None,
) -> str:
    return render_template(
        "accounts/account.html",
        language_form=language_form,
        name_form=name_form or NameForm(prefix="name", display_name=current_user.display_name),
        email_form=email_form or EmailChangeForm(prefix="email"),
        password_form=password_form or PasswordChangeForm(prefix="password"),
    )


def _language_form(posted: bool = False) -> LanguageForm:
    # A post says what it chose (nothing chosen is an error); otherwise the form shows what is saved.
    form = LanguageForm(
        prefix="language", language=None if posted else current_user.locale or shown_language()
    )
    form.language.choices = language_choices()
    return form


@bp.post("/account/language")
@login_required
def save_language() -> str | Response:
    """Save the language of one's pages and email (and remember it in this browser too)."""
    form = _language_form(posted=True)
    if not form.validate_on_submit():
        return _account_page(form)  # the account page, with the error at the field
    chosen = form.language.data
    services.choose_language(current_user, chosen)
    db.session.commit()
    with force_locale(chosen):  # said in the language just chosen
        flash(_("Your language is saved: the directory and its email to you use it."), "success")
    response = redirect(url_for("accounts.account"))
    remember_choice(response, chosen)
    return response


@bp.post("/account/confirmation")
@login_required
@limit_form_posts
def resend_confirmation() -> Response:
    """Send a new link to confirm the account's email address (when it is not confirmed yet)."""
    if current_user.email_confirmed_at is None:
        services.send_confirmation(current_user)
        db.session.commit()
        flash(_("We have sent a new confirmation link to %(email)s.", email=current_user.email), "success")
    return redirect(url_for("accounts.account"))


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account() -> str | Response:
    """Delete one's account (and the organization or agency it is the last member of)."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            services.delete_account(current_user._get_current_object(), form.password.data)
        except AccountError as exc:
            show_errors(form, exc.errors)
        else:
            db.session.commit()
            logout_user()
            flash(_("Your account has been deleted."), "success")
            return redirect(url_for("pages.home"))
    return render_template("accounts/delete.html", form=form)


@bp.route("/forgot-password", methods=["GET", "POST"])
@limit_form_posts
def forgot_password() -> str | Response:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.send_password_reset(form.email.data)
        db.session.commit()
        # The same answer whether or not the address has an account.
        return redirect(url_for("accounts.check_email"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password_page(token: str) -> str | Response:
    form = ResetPasswordForm()
    if services.tokens.read_token(token, "reset") is None:
        return render_template("accounts/token_invalid.html"), 400  # type: ignore[return-value]
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except AccountError as exc:
            show_errors(form, exc.errors)
        else:
            db.session.commit()
            flash(_("Your password is changed. You can sign in now."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str) -> str | Response | tuple[str, int]:
    """The emailed link opens a page; its button confirms (mail scanners open links, never press buttons)."""
    user = services.tokens.read_token(token, "confirm")
    if user is None:
        return render_template("accounts/token_invalid.html"), 400
    form = ConfirmEmailForm()
    if form.validate_on_submit():
        services.confirm_email(token)
        db.session.commit()
        flash(_("Thank you: your email address is confirmed."), "success")
        return redirect(url_for("accounts.account" if current_user.is_authenticated else "accounts.login"))
    return render_template("accounts/confirm.html", form=form, email=user.email)


@bp.route("/login/second-factor", methods=["GET", "POST"])
def two_factor() -> str | Response | tuple[str, int]:
    """The admin's second step: set up an authenticator app the first time, then a code each time."""
    pending = session.get("2fa_user")
    user = load_user(pending) if isinstance(pending, str) else None
    if user is None:
        return redirect(url_for("accounts.login"))
    setting_up = user.totp_confirmed_at is None
    if request.method == "POST" and request.form.get("action") == "setup":
        if setting_up:  # a fresh secret, on the server; this session keeps only its fingerprint
            session["2fa_setup"] = totp.start_setup(user)
            db.session.commit()
        return redirect(url_for("accounts.two_factor"))
    secret = totp.pending_secret(user, session.get("2fa_setup")) if setting_up else None
    form = TwoFactorForm()
    status = 200
    if form.validate_on_submit():
        try:
            codes = _check_second_factor(user, form.code.data, setting_up, secret)
        except LoginThrottledError:
            db.session.rollback()
            form.code.errors = [_("Too many attempts. Wait a few minutes and try again.")]
            status = 429
        else:
            db.session.commit()
            if codes is not False:
                target = session.get("2fa_next")
                session.clear()
                login_user(user)
                session_limits.begin()
                if isinstance(codes, list):  # just set up: show the recovery codes, once
                    return render_template(
                        "accounts/recovery_codes.html", codes=codes, next=target or landing_page(user)
                    )
                return redirect(target or landing_page(user))
            form.code.errors = [_("That code is not right, or has already been used. Try the next one.")]
    uri = totp.provisioning_uri(user, secret) if secret else None
    return (
        render_template(
            "accounts/two_factor.html",
            form=form,
            setting_up=setting_up,
            secret=secret,
            uri=uri,
            qr_code=totp.qr_code_svg(uri) if uri else None,
        ),
        status,
    )


def _check_second_factor(user: User, code: str, setting_up: bool, secret: str | None) -> list[str] | bool:
    """Recovery codes (setup), True (verified), or False; failures count like failed passwords."""
    services.check_throttle(user.email, request.remote_addr or "")
    if setting_up:
        codes = totp.confirm_setup(user, secret, code)
        ok: list[str] | bool = codes if codes is not None else False
    else:
        ok = totp.verify(user, code)
    services.record_attempt(user.email, request.remote_addr or "", ok is not False)
    return ok


@bp.route("/account/members", methods=["GET", "POST"])
@login_required
def members() -> str | Response:
    """The members of one's organization or agency; its owner invites new ones."""
    user = current_user._get_current_object()
    if user.organization_id is None and user.agency_id is None:
        abort(404)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            token = invitations.invite(user, form.email.data)
        except AccountError as exc:
            show_errors(form, exc.errors)
        else:
            invitations.send_invitation(form.email.data, token, user)
            db.session.commit()
            flash(_("Invitation sent."), "success")
            return redirect(url_for("accounts.members"))
    people, pending = invitations.members_and_invitations(user)
    return render_template("accounts/members.html", form=form, people=people, pending=pending)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> str | Response | tuple[str, int]:
    """Join an organization or agency through an emailed invitation."""
    invitation = invitations.find_invitation(token)
    if invitation is None:
        return render_template("accounts/token_invalid.html"), 400
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            user = invitations.accept(invitation, form.display_name.data, form.password.data)
        except AccountError as exc:
            show_errors(form, exc.errors)
        else:
            services.adopt_language(user, shown_language())
            db.session.commit()
            login_user(user)
            session_limits.begin()
            flash(_("Welcome. You are now a member."), "success")
            return redirect(landing_page(user))
    hold = invitations.hold_on_invitation(invitation)
    return render_template(
        "accounts/accept_invitation.html",
        form=form,
        invitation=invitation,
        held=invitations.held_invitation_message(hold) if hold is not None else None,
    )
