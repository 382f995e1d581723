"""The Survivor-Led Partnership Directory: a Flask application built by :func:`create_app`."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from . import geo
from .config import load_config
from .extensions import babel, csrf, db, limiter, login_manager
from .jsonencoding import OrjsonProvider

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, error handlers, commands."""
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
    )
    app.json = OrjsonProvider(app)
    configure(app, overrides)
    trust_proxy(app)
    register_extensions(app)
    register_converters(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_error_handlers(app)
    register_commands(app)
    register_template_helpers(app)
    return app


def configure(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(load_config(Path(app.instance_path)))
    if overrides:
        app.config.update(overrides)
    logging.basicConfig(level=logging.INFO)


def trust_proxy(app: Flask) -> None:
    """Behind a reverse proxy (PROXY_HOPS=1), take the client address and scheme from its headers, so
    throttling counts real addresses. Never enable it without a proxy: the headers could be forged."""
    hops = int(app.config.get("PROXY_HOPS", 0))
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def register_extensions(app: Flask) -> None:
    from .i18n import select_locale
    from .sqlite import configure_sqlite

    # A pooled connection to a database server can be dropped (a restart, a timeout): it is tested before
    # use. An SQLite file has no server to lose, so its connections skip that extra query.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        "pool_pre_ping": not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"),
        **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
    }
    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    if not app.config.get("WEB_ONLY"):
        # Alembic is only needed by `flask db`: a server worker (WEB_ONLY, see config.py) saves its memory.
        from flask_migrate import Migrate

        Migrate(render_as_batch=True, compare_type=True).init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    limiter.init_app(app)
    from .accounts.loader import register as register_user_loader

    register_user_loader(login_manager)
    geo.init_app(app)


def register_converters(app: Flask) -> None:
    """Bounded ids and control-free text in URL paths (before any route is added)."""
    from .converters import register

    register(app)


def register_blueprints(app: Flask) -> None:
    from .accounts.views import bp as accounts_bp
    from .admin.views import bp as admin_bp
    from .agencies.views import bp as agencies_bp
    from .api.docs import bp as api_docs_bp
    from .api.views import bp as api_bp
    from .assessment.views import bp as assessment_bp
    from .audit import models as _audit_models  # noqa: F401  (the audit table is part of the schema)
    from .hsds.views import bp as hsds_bp
    from .mail import models as _mail_models  # noqa: F401  (and so is the mail queue)
    from .maps.views import bp as maps_bp
    from .organizations.views import bp as organizations_bp
    from .pages.views import bp as pages_bp
    from .partnerships.views import bp as partnerships_bp
    from .reports.views import bp as reports_bp
    from .workspace.views import bp as workspace_bp

    app.register_blueprint(pages_bp)
    app.register_blueprint(organizations_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(workspace_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(agencies_bp)
    app.register_blueprint(partnerships_bp)
    app.register_blueprint(assessment_bp)
    app.register_blueprint(maps_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(api_docs_bp, url_prefix="/api")  # its OpenAPI document and reference page
    app.register_blueprint(hsds_bp, url_prefix="/hsds")
    # The JSON APIs only read and use no cookies, so there is no request to forge; CSRF guards the HTML forms.
    csrf.exempt(api_bp)
    csrf.exempt(hsds_bp)


def register_request_hooks(app: Flask) -> None:
    """Session limits before each request; security headers and the language cookie on every response;
    validators, 304s and cross-origin reads on public reads."""
    from .accounts.session_limits import register as register_session_limits
    from .i18n import register as register_languages
    from .public_reads import register as register_public_reads
    from .security_headers import register as register_security_headers

    # Registered first, so it runs last: it sees every header the others add (the language cookie).
    register_public_reads(app)
    register_session_limits(app)
    register_security_headers(app)
    register_languages(app)


def register_error_handlers(app: Flask) -> None:
    from .errors import register

    register(app)


def register_commands(app: Flask) -> None:
    from .cli import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from .templating import register

    register(app)
