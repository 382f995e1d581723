"""Agencies: the governments, businesses and NGOs that search the directory and ask for partnerships.

The blueprint (later) is ``views.bp``; importing this package pulls in only what is asked for.
"""
