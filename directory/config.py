"""Configuration: safe defaults, overridden by environment variables.

Everything a deployment changes comes from the environment (``DATABASE_URL``, ``SECRET_KEY``,
``GEOCODER``, ...). The secret key is never a constant in the code: when ``SECRET_KEY`` is unset, one is
generated into ``instance/secret_key`` on first run and reused afterwards.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

#: Scripts, styles, fonts and images from this site only (images also as data: URLs); no plugins, no
#: framing; forms post only here.
DEFAULT_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _secret_key(instance_path: Path) -> str:
    """The SECRET_KEY from the environment, or one kept in the instance folder (made on first run)."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting at once must not write two different keys.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def load_config(instance_path: Path) -> dict[str, Any]:
    """Build the configuration for an app whose instance folder is ``instance_path``."""
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'directory.sqlite3'}"
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "WTF_CSRF_TIME_LIMIT": None,
        # How long a sign-in lasts: ended after this much inactivity (idle) or this long after signing in
        # (absolute), whichever comes first; admins much sooner (see directory/accounts/session_limits.py).
        "SESSION_IDLE_MINUTES_ADMIN": _env_int("SESSION_IDLE_MINUTES_ADMIN", 30),
        "SESSION_MAX_HOURS_ADMIN": _env_int("SESSION_MAX_HOURS_ADMIN", 12),
        "SESSION_IDLE_MINUTES": _env_int("SESSION_IDLE_MINUTES", 8 * 60),
        "SESSION_MAX_HOURS": _env_int("SESSION_MAX_HOURS", 14 * 24),
        # Security headers on every response (directory/security_headers.py). The map's tile server, when
        # MAP_TILE_URL sets one, is added to img-src there. HSTS is sent only with SESSION_COOKIE_SECURE.
        "CONTENT_SECURITY_POLICY": os.environ.get("CONTENT_SECURITY_POLICY", DEFAULT_CSP),
        # same-origin: our own pages keep the referrer; other sites get none, since request, profile and
        # search addresses (what an agency or a survivor looked for) are nobody else's business.
        "REFERRER_POLICY": os.environ.get("REFERRER_POLICY", "same-origin"),
        "STRICT_TRANSPORT_SECURITY": os.environ.get("STRICT_TRANSPORT_SECURITY", "max-age=31536000"),
        # Reverse proxies in front of the app (0: none); see directory.trust_proxy.
        "PROXY_HOPS": _env_int("PROXY_HOPS", 0),
        # Set by gunicorn.conf.py: this process only serves requests, so the migration commands (and
        # Alembic) are not loaded. `make serve` runs `flask db upgrade` before starting gunicorn.
        "WEB_ONLY": os.environ.get("DIRECTORY_WEB_ONLY") == "1",
        # No uploads: a megabyte is far more than any form needs.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": "en",
        # The catalogs (translations/<lang>/LC_MESSAGES/messages.po, compiled by `make catalogs`).
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parent.parent / "translations"),
        # Languages readers may choose; each one but English needs its catalog (README: adding a language).
        "LANGUAGES": os.environ.get("LANGUAGES", "en,fr,es,pt").split(","),
        # Geocoding: "offline" (bundled gazetteer) or "nominatim" (needs the internet).
        "GEOCODER": os.environ.get("GEOCODER", "offline"),
        "NOMINATIM_USER_AGENT": os.environ.get(
            "NOMINATIM_USER_AGENT", "survivor-directory (set NOMINATIM_USER_AGENT to your contact)"
        ),
        "NOMINATIM_MIN_DELAY_SECONDS": float(os.environ.get("NOMINATIM_MIN_DELAY_SECONDS", "1.0")),
        "GAZETTEER_PATH": os.environ.get("GAZETTEER_PATH", ""),
        "GEOCODE_CACHE_SIZE": _env_int("GEOCODE_CACHE_SIZE", 2048),
        # The whole directory in HSDS's tabular form is built once per change of the listings and kept
        # here (default instance/exports/); `flask export-hsds --refresh` builds it ahead of visitors.
        "EXPORT_FOLDER": os.environ.get("EXPORT_FOLDER", ""),
        # Up to this many published listings, a download builds a stale package itself (seconds); above
        # it, only `flask export-hsds --refresh` does (minutes), and downloads get the newest one built.
        "EXPORT_BUILD_LIMIT": _env_int("EXPORT_BUILD_LIMIT", 5000),
        # Mail: without MAIL_SERVER, messages are written to instance/outbox/ (see directory/mail.py).
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_OUTBOX": os.environ.get("MAIL_OUTBOX", ""),
        "MAIL_PORT": _env_int("MAIL_PORT", 587),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS", "1") == "1",
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Survivor-Led Partnership Directory <no-reply@localhost>"),
        # Where people write to the directory's operators (the contact page; none shown when empty).
        "CONTACT_EMAIL": os.environ.get("CONTACT_EMAIL", ""),
        # The queue (flask send-mail): tries per message before giving up (waiting 2, 4, 8... minutes).
        "MAIL_MAX_ATTEMPTS": _env_int("MAIL_MAX_ATTEMPTS", 5),
        # Partnership-request notices to one person per hour; the rest go as one digest an hour later.
        "MAIL_NOTICES_PER_HOUR": _env_int("MAIL_NOTICES_PER_HOUR", 5),
        # Messages one person may write in request threads per hour.
        "MESSAGES_PER_HOUR": _env_int("MESSAGES_PER_HOUR", 30),
        # Sign-in throttling (see directory/accounts/services.py).
        "LOGIN_WINDOW_MINUTES": _env_int("LOGIN_WINDOW_MINUTES", 15),
        "LOGIN_MAX_FAILURES_PER_ADDRESS": _env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 30),
        "LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS": _env_int(
            "LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS", 5
        ),
        "LOGIN_SLOWDOWN_AFTER_ACCOUNT_FAILURES": _env_int("LOGIN_SLOWDOWN_AFTER_ACCOUNT_FAILURES", 20),
        "LOGIN_SLOWDOWN_SECONDS": float(os.environ.get("LOGIN_SLOWDOWN_SECONDS", "2")),
        # The survivor-informed check on partnership requests.
        "PARTNERSHIP_MIN_WORKING_DAYS": _env_int("PARTNERSHIP_MIN_WORKING_DAYS", 10),
        "PARTNERSHIP_MIN_START_DAYS": _env_int("PARTNERSHIP_MIN_START_DAYS", 14),
        # Rate limits on form posts that send mail or create records (per client address). The counters
        # live in RATELIMIT_STORAGE_URI: memory:// keeps them per worker (each of N workers allows the
        # limit); redis://host:6379 or memcached://host:11211 shares them between workers and servers.
        # Sign-in throttling does not depend on this: it is counted in the database.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": os.environ.get("RATELIMIT_ENABLED", "1") == "1",
        "RATELIMIT_FORMS": os.environ.get("RATELIMIT_FORMS", "10 per hour"),
        # Downloads of a whole search as a spreadsheet (/organizations.csv), per client address.
        "RATELIMIT_EXPORTS": os.environ.get("RATELIMIT_EXPORTS", "60 per hour"),
        # The map (directory/maps): offline country outlines unless a tile server is set, e.g.
        # https://tile.example.org/{z}/{x}/{y}.png with its attribution (HTML, shown on the map).
        "MAP_TILE_URL": os.environ.get("MAP_TILE_URL", ""),
        "MAP_TILE_ATTRIBUTION": os.environ.get("MAP_TILE_ATTRIBUTION", ""),
        # Points on the search map at most (a message says so beyond).
        "MAP_MAX_FEATURES": _env_int("MAP_MAX_FEATURES", 5000),
        # Where `flask geo build` writes the country outlines (default: in the instance folder).
        "MAP_OUTLINES_PATH": os.environ.get("MAP_OUTLINES_PATH", ""),
        # Search.
        "SEARCH_PER_PAGE": _env_int("SEARCH_PER_PAGE", 20),
        "SEARCH_MAX_PER_PAGE": 100,
        "SEARCH_MAX_QUERY_LENGTH": 200,
        "SEARCH_DEFAULT_RADIUS_KM": _env_int("SEARCH_DEFAULT_RADIUS_KM", 100),
        "SEARCH_MAX_RADIUS_KM": 20_000,
    }
