"""Partnership requests: an agency asks survivor-led organizations to take part in a project, and the
two sides move each request through its workflow.

The survivor-informed check is a pure rule module (:mod:`.checks`); the lists of values a request is
made of, with their labels, are in :mod:`.vocabulary`; the services change the data and the views
only call them.
"""
