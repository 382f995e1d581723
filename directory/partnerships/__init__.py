"""Partnership requests from agencies to organizations, made the survivor-informed way.

The survivor-informed check is a pure function over a request's terms (:mod:`.checks`), in the words
of :mod:`.vocabulary`; the request model (:mod:`.models`), its workflow (:mod:`.services`), the pages
(:mod:`.views`) and the admin dashboard's figures (:mod:`.stats`) build on it.

The blueprint is ``views.bp``; the app factory imports it from there.
"""
