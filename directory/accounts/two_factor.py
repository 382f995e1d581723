"""The second factor for admins: TOTP (RFC 6238, through pyotp) and single-use recovery codes.

Recovery codes are random and long, so a fast hash (SHA-256) stores them safely; each works once.
A TOTP code works once too: the time step of the last accepted code is kept. Both are used up by
conditional updates, so a code sent twice at the same moment works once. The secret being set up waits on
the server (``User.totp_pending_secret``), never in the session cookie, until a code confirms it.
"""

from __future__ import annotations

import hashlib
import secrets

import pyotp
import segno
import sqlalchemy as sa
from markupsafe import Markup

from ..db import now_utc, update_if
from ..extensions import db
from .models import RecoveryCode, User

ISSUER = "Survivor-Led Partnership Directory"
RECOVERY_CODES = 10


def new_secret() -> str:
    return pyotp.random_base32()


def start_setup(user: User) -> str:
    """A fresh secret for the app being set up, kept on the server until a code confirms it.

    Returns its fingerprint, which the set-up session keeps (never the secret itself): only that session
    is shown the secret and may confirm it, as when the secret lived in its cookie.
    """
    user.totp_pending_secret = new_secret()
    return setup_fingerprint(user.totp_pending_secret)


def setup_fingerprint(secret: str) -> str:
    """A one-way fingerprint of a pending secret (it reveals nothing of the secret)."""
    return hashlib.sha256(f"totp-setup:{secret}".encode()).hexdigest()


def pending_secret(user: User, fingerprint: object) -> str | None:
    """The secret being set up, for the session holding its fingerprint; None for any other."""
    secret = user.totp_pending_secret
    if secret is None or user.totp_confirmed_at is not None or not isinstance(fingerprint, str):
        return None
    return secret if secrets.compare_digest(setup_fingerprint(secret), fingerprint) else None


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app takes (typed or scanned)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_svg(uri: str) -> Markup:
    """The address as a QR code: an inline SVG drawn on the server (no script, no image request).

    segno writes presentation attributes (``stroke``, ``fill``), never a ``style`` attribute, so the strict
    Content-Security-Policy lets it through; the white quiet zone keeps it readable on any background.
    """
    code = segno.make(uri, error="m")
    svg = code.svg_inline(scale=4, border=4, dark="#000", light="#fff", svgclass="qr-code", lineclass=None)
    return Markup(svg)  # noqa: S704  # segno's own markup, made from our address (escaped by segno)


def _accepted_step(secret: str, code: str, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to (now, or one step either side), if valid and not reused."""
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit() and len(code) == 6):  # "²" is a digit to isdigit()
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(now_utc())
    for step in (now_step, now_step - 1, now_step + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step if last_step is None or step > last_step else None
    return None


def confirm_setup(user: User, secret: str | None, code: str) -> list[str] | None:
    """Turn the second factor on when ``code`` proves the app has the pending ``secret`` (from
    :func:`pending_secret`); return the recovery codes."""
    step = _accepted_step(secret, code, None) if secret is not None else None
    if secret is None or step is None:
        return None
    user.totp_secret = secret
    user.totp_pending_secret = None
    user.totp_confirmed_at = now_utc()
    user.totp_last_step = step
    return new_recovery_codes(user)


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with fresh ones; the plain codes are shown once."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes)
    return codes


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().lower().encode()).hexdigest()


def verify(user: User, code: str) -> bool:
    """True for a fresh TOTP code or an unused recovery code (which is then used up)."""
    if user.totp_secret is None:
        return False
    step = _accepted_step(user.totp_secret, code, user.totp_last_step)
    if step is not None:
        # Conditional, so the same code sent twice at the same moment is accepted once.
        newer = sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step)
        return update_if(user, newer, totp_last_step=step)
    # A recovery code is used up by the same kind of conditional statement, found by its hash.
    used = (
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now_utc())
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(used).rowcount == 1
