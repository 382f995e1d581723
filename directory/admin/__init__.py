"""Admin vetting: the queue, review pages with a checklist, decisions, and the audit log browser.

The blueprint is ``views.bp``; the app factory imports it from there.
"""
