"""Open Referral HSDS 3.0: stable ids, the mapping of public listings to HSDS objects, the schemas, and
the ``/hsds`` API.

The blueprint is ``views.bp``; the app factory imports it from there, so that an exporter or importer can
use :mod:`.mapping` and :mod:`.ids` without pulling in the views.
"""

from pathlib import Path

#: The HSDS 3.0 schemas copied into the repository (raw, ``compiled/``, and our page and API-info ones):
#: what the tabular form, the OpenAPI document and the tests' validator all read.
SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
