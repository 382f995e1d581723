"""Home and about pages."""

from __future__ import annotations

from flask import Blueprint, render_template

from .. import regions, vocab

bp = Blueprint("pages", __name__)


@bp.get("/")
def home() -> str:
    """What the directory is for, a search box, and shortcuts by region and by way of engaging survivors."""
    return render_template(
        "pages/home.html", continents=regions.regions(), engagements=list(vocab.TAXONOMIES["engagement"])
    )


@bp.get("/about")
def about() -> str:
    """What survivor-informed partnership asks of partners."""
    return render_template("pages/about.html")
