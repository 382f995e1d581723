"""The read-only JSON API (``/api/v1``).

The blueprint is ``views.bp``; the app factory imports it from there, so that importing this package
(for its models, say) never pulls in the views and their imports.
"""
