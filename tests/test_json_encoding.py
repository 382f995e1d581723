"""The JSON provider (directory/jsonencoding.py) writes what Flask's own provider writes."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from directory.jsonencoding import OrjsonProvider


@dataclasses.dataclass
class Point:
    name: str
    latitude: float


@pytest.fixture
def providers() -> tuple[OrjsonProvider, DefaultJSONProvider]:
    app = Flask(__name__)
    return OrjsonProvider(app), DefaultJSONProvider(app)


def test_the_same_values_as_flasks_provider_for_every_type_flask_knows(providers):
    ours, flasks = providers
    value = {
        "when": datetime(2026, 12, 2, 13, 5, 7, tzinfo=UTC),
        "day": date(2026, 12, 2),
        "amount": Decimal("12.50"),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "point": Point("Yaoundé", 3.8667),
        "markup": Markup("<b>bold</b>"),
        "counts": {3: "int keys", 10: "are written as strings"},
        "text": "Phnom Penh — ភ្នំពេញ\u2028",
    }
    assert json.loads(ours.dumps(value)) == json.loads(flasks.dumps(value))
    assert json.loads(ours.dumps(value))["when"] == "Wed, 02 Dec 2026 13:05:07 GMT"


def test_keys_are_sorted_and_the_output_is_compact_utf8(providers):
    ours, _ = providers
    text = ours.dumps({"b": 1, "a": {"d": [1, 2], "c": "é"}})
    assert text == '{"a":{"c":"é","d":[1,2]},"b":1}'


def test_what_neither_can_encode_is_a_type_error(providers):
    ours, flasks = providers
    with pytest.raises(TypeError):
        flasks.dumps({"x": object()})
    with pytest.raises(TypeError):
        ours.dumps({"x": object()})


def test_options_only_pythons_encoder_takes_are_handed_to_it(providers):
    ours, flasks = providers
    assert ours.dumps({"b": 1, "a": 2}, indent=2) == flasks.dumps({"b": 1, "a": 2}, indent=2)


def test_a_response_is_compact_with_a_newline_and_pretty_in_debug_mode():
    app = Flask(__name__)
    app.json = OrjsonProvider(app)
    with app.app_context():
        compact = app.json.response({"b": [1], "a": "é"})
        assert compact.mimetype == "application/json"
        assert compact.get_data() == '{"a":"é","b":[1]}\n'.encode()
        app.debug = True
        assert app.json.response({"b": [1]}).get_data(as_text=True) == '{\n  "b": [\n    1\n  ]\n}\n'


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_any_json_value_reads_back_as_flasks_does(value):
    app = Flask(__name__)
    ours, flasks = OrjsonProvider(app), DefaultJSONProvider(app)
    assert json.loads(ours.dumps(value)) == json.loads(flasks.dumps(value))


def test_the_app_answers_with_it(client):
    assert isinstance(client.application.json, OrjsonProvider)
    response = client.get("/api/v1/organizations?per_page=1")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.endswith("\n") and json.loads(body)["per_page"] == 1
    assert list(json.loads(body)) == sorted(json.loads(body))
