"""The derived HSDS ids are UUID 5 exactly (computed without ``uuid.uuid5``, for speed)."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from directory.hsds import ids


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=40), min_size=1, max_size=4))
def test_a_derived_id_is_the_uuid5_of_its_name(parts: list[str]) -> None:
    expected = uuid.uuid5(ids.NAMESPACE, "/".join(parts))
    found = ids.derived(*parts)
    assert found == str(expected)
    assert uuid.UUID(found).version == 5
