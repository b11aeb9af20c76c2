"""Framed ORCID records: chunk files written through storage and read back, whole or by shards."""

import pytest
from django.core.files.storage import FileSystemStorage

from vocabularies.exceptions import ImportFailed, RecordInvalid
from vocabularies.readers import orcidframes
from vocabularies.readers.files import SHARD_BREAK
from vocabularies.readers.orcidframes import ChunkStream, chunk_items

ITEMS = [(f"<record n='{n}'/>".encode() * (n % 4 + 1), f"0000-0001-0000-{n:04d}") for n in range(23)]
ITEMS[5] = RecordInvalid("0000-0001-0000-0005", "70000000 bytes, more than the record size limit")


def _plain(items) -> list:
    return [(type(i).__name__, i.record_id, i.reason) if isinstance(i, RecordInvalid) else i for i in items]


@pytest.fixture
def chunk(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    stream = ChunkStream(iter(ITEMS), records=1000)
    name = storage.save("chunks/one.chunk", stream)
    assert stream.count == 23
    return tmp_path / name


def test_a_chunk_stream_saved_to_storage_reads_back(chunk):
    assert _plain(chunk_items(chunk)) == _plain(ITEMS)


def test_a_chunk_stream_stops_after_its_records_and_the_next_one_goes_on():
    items = iter(ITEMS)
    first, second = ChunkStream(items, records=20), ChunkStream(items, records=20)
    assert first.read().startswith(orcidframes.CHUNK_MAGIC) and second.read()
    assert (first.count, second.count) == (20, 3)


@pytest.mark.parametrize("count", [1, 2, 3])
def test_shards_of_a_chunk_read_each_item_once_a_group_then_a_break(chunk, monkeypatch, count):
    monkeypatch.setattr(orcidframes, "GROUP_RECORDS", 4)
    groups = []  # (shard, items of one group)
    for index in range(count):
        current = []
        for item in chunk_items(chunk, shard=(index, count)):
            if item is SHARD_BREAK:
                groups.append((index, current))
                current = []
            else:
                current.append(item)
        assert current == []  # every group ends with a break
    ids = [i.record_id if isinstance(i, RecordInvalid) else i[1] for i in ITEMS]
    found = sorted((ids.index(_plain(items)[0][1]), index, len(items)) for index, items in groups)
    assert [(start, index, size) for start, index, size in found] == [
        (start, start // 4 % count, min(4, 23 - start)) for start in range(0, 23, 4)
    ]
    assert sorted(map(str, _plain(i for _, items in groups for i in items))) == sorted(map(str, _plain(ITEMS)))


def test_a_truncated_or_foreign_chunk_is_refused(chunk, tmp_path):
    chunk.write_bytes(chunk.read_bytes()[:-3])
    with pytest.raises(ImportFailed, match="chunk file is truncated"):
        list(chunk_items(chunk))
    other = tmp_path / "other.chunk"
    other.write_bytes(b"PK\x03\x04 not a chunk")
    with pytest.raises(ImportFailed, match="not an ORCID chunk file"):
        list(chunk_items(other))
