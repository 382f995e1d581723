"""The map: search results and profiles at their public points, over an offline base layer.

The blueprint is ``views.bp``; the app factory imports it from there. The GeoJSON of a search is served
by the API (``/api/v1/organizations.geojson``, :mod:`.features`); the pages carry only a container the
script ``static/js/map.js`` fills in, so without JavaScript they are complete without it.
"""
