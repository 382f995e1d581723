"""Organizations: the listings, their public pages and the services that change them.

The blueprint is ``views.bp``; the app factory imports it from there, so that importing this package
(for its models, say) never pulls in the views and their imports.
"""
