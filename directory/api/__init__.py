"""The read-only JSON API (``/api/v1``)."""

from .views import bp

__all__ = ["bp"]
