"""Pure privacy rules: which point, if any, the public may see for an organization.

The public point is derived by a fixed rule, never by random jitter (jitter averages out when an
attacker repeats searches): ``exact`` publishes the true point, ``city`` the city's gazetteer point,
``country`` the country's point, ``hidden`` nothing at all. When the coarse point is unknown the rule
falls back to a coarser one (city -> country -> nothing), never to a finer one.
"""

from __future__ import annotations

from .geo.geometry import Point
from .organizations.models import LocationPrecision


def public_point(
    precision: LocationPrecision,
    true_point: Point | None,
    city_point: Point | None,
    country_point: Point | None,
) -> Point | None:
    """The point the public may see for an organization with this precision."""
    if precision is LocationPrecision.EXACT:
        return true_point or city_point or country_point
    if precision is LocationPrecision.CITY:
        return city_point or country_point
    if precision is LocationPrecision.COUNTRY:
        return country_point
    return None
