"""Partnership requests the survivor-informed way (issue 4): for now, the survivor-informed check.

The check is a pure function over a request's terms (:mod:`.checks`); the request model, the
workflow and the pages build on it.
"""
