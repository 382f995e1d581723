"""Open Referral HSDS 3.0: stable ids, the mapping of public listings to HSDS objects, the schemas, and
the ``/hsds`` API.

The blueprint is ``views.bp``; the app factory imports it from there, so that an exporter or importer can
use :mod:`.mapping` and :mod:`.ids` without pulling in the views.
"""
