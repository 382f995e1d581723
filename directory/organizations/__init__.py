"""Organizations: the listings, their public pages and the services that change them."""

from .views import bp

__all__ = ["bp"]
