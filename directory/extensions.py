"""Flask extensions, created unbound here and attached to an app in the factory.

Flask-Migrate is attached in the factory itself, and only where migrations can run (see ``WEB_ONLY``).
"""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from .db import Base

db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
login_manager.login_view = "accounts.login"
# Limits are declared on the views that need them (directory/ratelimits.py); none by default.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
