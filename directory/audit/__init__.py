"""The audit log: who did what to which record, when, with the values before and after.

Entries are only ever added. Nothing in the application updates or deletes one (a mapper event refuses
it), and people appear in them by a pseudonymous label, so deleting an account leaves its history.
"""
