"""The static pages: home and "About survivor-informed partnership"."""

from .views import bp

__all__ = ["bp"]
