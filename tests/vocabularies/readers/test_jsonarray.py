"""The streaming JSON array reader: fast sliced path, ijson fallback, and errors."""

import io
import json
import re

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


def _sharded(data: bytes, count: int, monkeypatch, read_size=4096):
    """Each shard's items (up to its error, if any), and its error."""
    from vocabularies.readers import jsonarray

    monkeypatch.setattr(jsonarray, "GROUP_SLICES", 2)
    shards = []
    for index in range(count):
        items, error = [], None
        try:
            for item in json_array_items(io.BytesIO(data), read_size=read_size, shard=(index, count)):
                items.append(item)
        except JSONArrayError as exc:
            error = exc
        shards.append((items, error))
    return shards


def _merged(shards):
    """The items in the order the import takes them: a group of one shard, then of the next..."""
    from vocabularies.readers.files import SHARD_BREAK

    queues = [list(items) for items, _ in shards]
    merged, turn = [], 0
    while queues[turn]:
        item = queues[turn].pop(0)
        if item is SHARD_BREAK:
            turn = (turn + 1) % len(queues)
        else:
            merged.append(item)
    return merged, shards[turn][1]


@pytest.mark.parametrize("count", [1, 2, 3])
def test_shards_parse_their_own_groups_and_together_every_record_in_order(count, monkeypatch):
    from vocabularies.readers.files import SHARD_BREAK

    shards = _sharded(json.dumps(RECORDS * 4, indent=4).encode(), count, monkeypatch)
    merged, error = _merged(shards)
    assert merged == RECORDS * 4 and error is None
    assert all(items.count(SHARD_BREAK) >= 1 for items, _ in shards)  # every shard parsed a share
    assert sum(len(items) for items, _ in shards) == len(RECORDS * 4) + sum(items.count(SHARD_BREAK) for items, _ in shards)


@pytest.mark.parametrize("count", [2, 3])
def test_shard_of_an_invalid_slice_takes_over_and_reports_where(count, monkeypatch):
    text = json.dumps(RECORDS * 4, indent=4)
    position = len(RECORDS) * 3 + 2
    cut = 0
    for _ in range(position + 1):
        cut = text.index('\n    {\n        "admin"', cut + 1)
    broken = (text[:cut] + "}}" + text[cut:]).encode()
    merged, error = _merged(_sharded(broken, count, monkeypatch))
    assert merged == (RECORDS * 4)[:position] and error is not None
    found = re.search(r"after byte (\d+) \(and (\d+) records from there\)", str(error))
    offset, more = int(found[1]), int(found[2])
    assert offset <= cut and broken[offset:].startswith(b"\n    {")  # the start of the slice that did not parse
    assert broken[offset:cut].count(b"\n    {") == more


def test_shards_of_a_minified_array_leave_it_to_the_first(monkeypatch):
    first, second = _sharded(json.dumps(RECORDS).encode(), 2, monkeypatch)
    assert first == (RECORDS, None) and second == ([], None)
