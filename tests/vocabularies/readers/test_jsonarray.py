"""The streaming JSON array reader: fast sliced path, ijson fallback, and errors."""

import io
import json

import pytest

from tests.vocabularies.conftest import ror_sample
from vocabularies.readers.jsonarray import JSONArrayError, json_array_items

RECORDS = ror_sample() * 5


def _items(data: bytes, read_size=4096):
    return list(json_array_items(io.BytesIO(data), read_size=read_size))


@pytest.mark.parametrize("indent", [4, 2, "\t", None], ids=["indent4", "indent2", "tab", "minified"])
def test_same_records_whatever_the_layout(indent):
    assert _items(json.dumps(RECORDS, indent=indent).encode()) == RECORDS


def test_element_larger_than_the_read_size():
    assert _items(json.dumps(RECORDS, indent=4).encode(), read_size=64) == RECORDS


def test_marker_inside_a_nested_value_falls_back_to_ijson():
    # An element line at the top-level indentation that is *not* a top-level element.
    text = '[\n  {\n  "a": [\n  {\n  "b": 1}\n  ]\n  },\n  {\n  "c": 2\n  }\n]'
    assert _items(text.encode(), read_size=8) == json.loads(text)


def test_empty_array():
    assert _items(b"[]") == [] and _items(b"[\n]") == []


@pytest.mark.parametrize("indent", [4, None])
def test_invalid_json_in_the_middle_reports_the_record_count(indent):
    text = json.dumps(RECORDS, indent=indent)
    cut = text.index('"id": "https://ror.org/0071a9161"')
    broken = (text[:cut] + "}}" + text[cut:]).encode()
    seen = []
    with pytest.raises(JSONArrayError, match="after record 6"):
        for item in json_array_items(io.BytesIO(broken), read_size=4096):
            seen.append(item)
    assert seen == RECORDS[:6]


@pytest.mark.parametrize("tail", [-1, -3000], ids=["no-bracket", "mid-record"])
def test_truncated_input_fails(tail):
    data = json.dumps(RECORDS, indent=4).encode()[:tail]
    with pytest.raises(JSONArrayError, match="invalid or truncated"):
        _items(data)


def test_trailing_garbage_fails():
    with pytest.raises(JSONArrayError):
        _items(json.dumps(RECORDS, indent=4).encode() + b"\n{}")
