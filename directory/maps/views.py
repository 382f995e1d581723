"""The map's base layer (country outlines) and what the pages tell the map script."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _

from .outlines import ensure_outlines
from .tiles import tile_origin

bp = Blueprint("maps", __name__)


@bp.record_once
def _check_tile_url(state: BlueprintSetupState) -> None:
    """A mistyped MAP_TILE_URL stops the app at start, not at the first page with a map."""
    tile_origin(state.app.config.get("MAP_TILE_URL") or "")


@bp.get("/map/countries.geojson")
def countries() -> Response:
    """Natural Earth's country outlines (built by ``flask geo build``, or now if it has not run)."""
    path, _built = ensure_outlines(current_app._get_current_object())  # type: ignore[attr-defined]
    # Read whole (the file is small): no file handle outlives the request, whoever reads the response.
    response = Response(path.read_bytes(), mimetype="application/geo+json")
    response.cache_control.public = True
    response.cache_control.max_age = 24 * 3600
    response.add_etag()
    return response.make_conditional(request)


def map_settings() -> dict[str, Any]:
    """The data attributes every map container carries: where its layers come from, and its words."""
    config = current_app.config
    settings = {
        "outlines": url_for("maps.countries"),
        "zoom-in": _("Zoom in"),
        "zoom-out": _("Zoom out"),
        "close": _("Close"),
    }
    if config.get("MAP_TILE_URL"):
        settings["tile-url"] = config["MAP_TILE_URL"]
        settings["tile-attribution"] = config.get("MAP_TILE_ATTRIBUTION", "")
    else:
        settings["tile-attribution"] = "Natural Earth"
    return settings


@bp.app_context_processor
def _map_helpers() -> dict[str, Any]:
    return {"map_settings": map_settings}
