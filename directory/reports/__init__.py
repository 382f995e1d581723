"""Reports of problems with a listing: anyone can flag one; admins forward or dismiss.

The blueprint is ``views.bp``. When an admin forwards a report, the organization sees what was
reported, never who reported it; reports keep no address, only a salted hash used for throttling.
"""
