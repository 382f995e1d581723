"""Accounts: people who sign in, their roles, sessions, passwords and emailed tokens.

The blueprint is ``views.bp``; the app factory imports it from there.
"""
