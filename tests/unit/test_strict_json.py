"""Strict JSON for outside input: what RFC 8259 allows and the JSON columns can store, and a
JSONDecodeError (the one error callers catch) for everything else."""

import json

import pytest

from foundation import strict_json


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ('{"a": [1, 2.5, "x", true, null]}', {"a": [1, 2.5, "x", True, None]}),
        (b'{"name": "caf\xc3\xa9"}', {"name": "café"}),
        ("1e300", 1e300),
        ("-0", 0),
        ('"\\ud83d\\ude00"', "\U0001f600"),  # a surrogate pair is one character
    ],
)
def test_valid_json_parses_as_usual(raw, value):
    assert strict_json.loads(raw) == value


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_standard_constants_are_refused_with_their_name(constant):
    with pytest.raises(json.JSONDecodeError, match=f"{constant} is not valid JSON"):
        strict_json.loads(f'{{"x": {constant}}}')


def test_broken_json_is_a_decode_error():
    with pytest.raises(json.JSONDecodeError):
        strict_json.loads("{broken")


def test_a_number_too_large_for_a_double_is_refused():
    with pytest.raises(json.JSONDecodeError):
        strict_json.loads('{"x": 1e400}')


def test_an_integer_with_5000_digits_is_a_decode_error():
    with pytest.raises(json.JSONDecodeError):
        strict_json.loads('{"x": ' + "7" * 5000 + "}")


def test_json_nested_5000_deep_is_a_decode_error():
    with pytest.raises(json.JSONDecodeError):
        strict_json.loads("[" * 5000 + "]" * 5000)


def test_a_lone_surrogate_is_refused():
    with pytest.raises(json.JSONDecodeError):
        strict_json.loads('{"x": "\\ud800"}')
