"""The static pages: home and "About survivor-informed partnership".

The blueprint is ``views.bp``; the app factory imports it from there, so that importing this package
(for its models, say) never pulls in the views and their imports.
"""
