"""Home and about pages."""

from __future__ import annotations

from flask import Blueprint, render_template

from .. import regions

bp = Blueprint("pages", __name__)


@bp.get("/")
def home() -> str:
    """What the directory is for, a search box and region shortcuts."""
    return render_template("pages/home.html", continents=regions.regions())


@bp.get("/about")
def about() -> str:
    """What survivor-informed partnership asks of partners."""
    return render_template("pages/about.html")
