"""Partnership requests: an agency asks survivor-led organizations to take part in a project, and the
two sides move each request through its workflow, made the survivor-informed way.

The survivor-informed check is a pure rule module (:mod:`.checks`); the lists of values a request is
made of, with their labels, are in :mod:`.vocabulary`; the request model (:mod:`.models`), its workflow
(:mod:`.services`), the pages (:mod:`.views`, which only call the services) and the admin dashboard's
figures (:mod:`.stats`) build on them. The blueprint is ``views.bp``; the app factory imports it from
there.
"""
