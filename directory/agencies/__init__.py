"""Agencies: the governments, businesses and NGOs that search the directory and ask for partnerships.

The blueprint is ``views.bp``; the app factory imports it from there, so importing this package pulls in
only what is asked for.
"""
