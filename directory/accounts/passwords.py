"""Password rules and hashing.

Rules after NIST SP 800-63B-4: at least 15 characters and up to 256, no composition rules, refused when
common or easy to guess (the zxcvbn estimator, which knows common passwords, words, names, keyboard
patterns and repetitions) or when they contain the site's name or the email's local part. Hashing is
argon2id through argon2-cffi, with parameters above the OWASP ASVS minimum (m = 19 MiB, t = 2, p = 1).
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _

MIN_LENGTH = 15
MAX_LENGTH = 256
SITE_WORDS = ("survivor", "directory", "partnership")

#: argon2id, 64 MiB, 3 passes, 4 lanes (argon2-cffi's RFC 9106 "low memory" profile).
HASHER = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)


def password_problems(password: str, email: str = "", name: str = "") -> list[str]:
    """Why ``password`` is refused, in plain words; an empty list when it is fine."""
    if len(password) < MIN_LENGTH:
        return [_("Use at least %(n)d characters. A few unrelated words make a good password.", n=MIN_LENGTH)]
    if len(password) > MAX_LENGTH:
        return [_("Use at most %(n)d characters.", n=MAX_LENGTH)]
    lowered = password.casefold()
    local = email.split("@", 1)[0].casefold()
    if len(local) >= 3 and local in lowered:
        return [_("Don't use your email address in your password.")]
    if any(word in lowered for word in SITE_WORDS):
        return [_("Don't use the name of this site in your password.")]
    inputs = [w for w in (local, *name.split(), *SITE_WORDS) if w]
    # Imported here: its word lists are large, and most server workers never check a password.
    from zxcvbn import zxcvbn

    estimate = zxcvbn(password[:100], user_inputs=inputs)
    if estimate["score"] < 3:
        warning = estimate["feedback"].get("warning") or ""
        return [
            _("This password is too easy to guess.") + (f" {warning}" if warning else ""),
        ]
    return []


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; never raises for a wrong password or a malformed hash."""
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return HASHER.check_needs_rehash(password_hash)


@cache
def dummy_hash() -> str:
    """Verified against when the email is unknown, so that both answers take about the same time."""
    return HASHER.hash("a password nobody has, used to spend the same time")
