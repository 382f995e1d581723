"""The organizations' own pages: their listing's state, the profile editor, submit and unpublish.

The blueprint is ``views.bp``; the app factory imports it from there.
"""
