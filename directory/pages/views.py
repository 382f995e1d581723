"""Home and about pages, the pages every directory has (privacy, accessibility, terms, contact), and what
browsers and search engines ask every site for: favicon.ico, robots.txt and sitemap.xml."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, url_for

from .. import regions, vocab
from ..organizations.public import sitemap_listings

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


@bp.get("/privacy")
def privacy() -> str:
    """What the directory stores, who sees what, and how to delete it."""
    return render_template("pages/privacy.html")


@bp.get("/accessibility")
def accessibility() -> str:
    """The accessibility statement."""
    return render_template("pages/accessibility.html")


@bp.get("/terms")
def terms() -> str:
    """The terms of use."""
    return render_template("pages/terms.html")


@bp.get("/contact")
def contact() -> str:
    """How to reach the people who run the directory (CONTACT_EMAIL), and where to go for what."""
    return render_template("pages/contact.html", email=current_app.config["CONTACT_EMAIL"])


#: The pages anyone may read, listed in the sitemap beside the public profiles (endpoint names).
PUBLIC_PAGES = (
    "pages.home",
    "pages.about",
    "organizations.search_page",
    "accounts.register_organization",
    "accounts.register_agency",
    "pages.privacy",
    "pages.accessibility",
    "pages.terms",
    "pages.contact",
)

#: What crawlers are kept out of: signed-in areas, one-time links, forms, and the endless combinations of
#: search filters (the profiles are in the sitemap). ``*`` matches anything, as the major crawlers read it.
PRIVATE_PATHS = (
    "/account",
    "/admin/",
    "/my/",
    "/requests",
    "/assessment",
    "/login",
    "/logout",
    "/forgot-password",
    "/reset-password/",
    "/confirm/",
    "/invitations/",
    "/register/check-email",
    "/register/finish/",
    "/organizations?",
    "/organizations.csv",  # a download of a whole search: for people, not crawlers
    "/organizations/*/request",
    "/organizations/*/report",
    "/api/",
    "/hsds/",  # the HSDS API: data for other directories, not pages
    "/map/",  # the map's country outlines: data for the map script, not a page
)

#: How long browsers and proxies may keep the icon, robots.txt and the sitemap (seconds).
CRAWLER_FILES_MAX_AGE = 3600


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The site's icon, from static/ (browsers ask for it at the root). A few hundred bytes: read whole,
    so no file stays open while the response is sent."""
    icon = Path(current_app.static_folder or "", "favicon.ico").read_bytes()
    response = Response(icon, mimetype="image/vnd.microsoft.icon")
    response.cache_control.public = True
    response.cache_control.max_age = CRAWLER_FILES_MAX_AGE
    return response


@bp.get("/robots.txt")
def robots() -> Response:
    """Keep crawlers out of private areas; point them at the sitemap."""
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in PRIVATE_PATHS)]
    lines.append(f"Sitemap: {url_for('pages.sitemap', _external=True)}")
    response = Response("\n".join(lines) + "\n", mimetype="text/plain")
    response.cache_control.max_age = CRAWLER_FILES_MAX_AGE
    return response


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """The public pages and the published profiles (never a draft, pending, suspended or unpublished one)."""
    pages = [url_for(endpoint, _external=True) for endpoint in PUBLIC_PAGES]
    profiles = [
        (url_for("organizations.profile", slug=slug, _external=True), updated)
        for slug, updated in sitemap_listings()
    ]
    xml = render_template("pages/sitemap.xml", pages=pages, profiles=profiles)
    response = Response(xml, mimetype="application/xml")
    response.cache_control.max_age = CRAWLER_FILES_MAX_AGE
    return response
