"""ORCID records as length-prefixed frames: the chunk files of a fanned-out import.

A frame is ``<kind:1 byte><id length:2 bytes LE><data length:4 bytes LE><id><data>``:
kind 0 holds a record's XML as it was in the dump, kind 1 a record the dump's reader
already refused (data: the reason). A chunk file is ``CHUNK_MAGIC`` then frames.

Why this and not a tar: writing a frame is one ``struct.pack`` and two copies, reading
one is a slice, skipping one (another parser's share) is a ``seek``; no 512-byte headers
and padding, no header parsing in Python. Uncompressed, because the parent that cuts a
dump into chunks is the one serial step of a fanned-out import: it should only copy bytes.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from pathlib import Path

from vocabularies.exceptions import ImportFailed, RecordInvalid
from vocabularies.readers.files import SHARD_BREAK, ProgressReader

HEADER = struct.Struct("<BHI")
RECORD, REFUSED = 0, 1
CHUNK_MAGIC = b"JOBSITE-ORCID-CHUNK-1\n"
# A sharded chunk reader parses groups of this many records (each ends a batch).
GROUP_RECORDS = 1000


def frame(item) -> bytes:
    """The frame of ``(xml bytes, iD)`` or of a ``RecordInvalid``."""
    if isinstance(item, RecordInvalid):
        kind, ident, data = REFUSED, str(item.record_id), str(item.reason).encode()
    else:
        data, ident = item
        kind = RECORD
    name = ident.encode()[:65535]
    return b"".join((HEADER.pack(kind, len(name), len(data)), name, data))


def frame_item(kind: int, ident: bytes, data) -> tuple[bytes, str] | RecordInvalid:
    """Back from a frame's parts to what ``frame`` was given."""
    if kind == REFUSED:
        return RecordInvalid(ident.decode(), bytes(data).decode())
    return bytes(data), ident.decode()


def stream_frames(stream, *, name: str) -> Iterator[tuple[int, bytes, int]]:
    """``(kind, id, data length)`` of each frame of a chunk file; the caller reads or skips the data."""
    if stream.read(len(CHUNK_MAGIC)) != CHUNK_MAGIC:
        raise ImportFailed(f"{name} is not an ORCID chunk file")
    size = HEADER.size
    while header := stream.read(size):
        if len(header) < size:
            raise ImportFailed(f"{name}: chunk file is truncated")
        kind, id_length, data_length = HEADER.unpack(header)
        yield kind, stream.read(id_length), data_length


def chunk_items(path: Path, *, progress=None, shard: tuple[int, int] | None = None) -> Iterator:
    """The items of a chunk file; ``shard=(index, count)``: only groups index, index + count, … each then ``SHARD_BREAK``."""
    with open(path, "rb", buffering=1 << 20) as stream:
        reporter = ProgressReader(stream, progress, every=GROUP_RECORDS)
        index, count = shard or (0, 1)
        number = 0
        for kind, ident, length in stream_frames(stream, name=path.name):
            group, position = divmod(number, GROUP_RECORDS)
            number += 1
            reporter.tick()
            if group % count != index:
                stream.seek(length, io.SEEK_CUR)
                continue
            data = stream.read(length)
            if len(data) < length:
                raise ImportFailed(f"{path.name}: chunk file is truncated")
            yield frame_item(kind, ident, data)
            if shard is not None and position == GROUP_RECORDS - 1:
                yield SHARD_BREAK
        if shard is not None and (number - 1) // GROUP_RECORDS % count == index and number % GROUP_RECORDS:
            yield SHARD_BREAK  # the last, short group
        reporter.finish()


class ChunkStream(io.RawIOBase):
    """A read-only file whose content is ``CHUNK_MAGIC`` and the frames of the next ``records`` items.

    Handed to ``Storage.save``, it is pulled by the storage as it writes: a chunk goes
    from the dump to storage without a local copy. ``count`` says how many items it took.
    """

    def __init__(self, items: Iterator, records: int):
        self.items = items
        self.records = records
        self.count = 0
        self.pending = memoryview(CHUNK_MAGIC)
        self.position = 0

    def readable(self):
        return True

    def seek(self, offset, whence=io.SEEK_SET):
        if (offset, whence) not in ((0, io.SEEK_SET), (0, io.SEEK_CUR)) or (whence == io.SEEK_SET and self.position):
            raise io.UnsupportedOperation("a chunk stream is read once, from its start")
        return self.position

    def tell(self):
        return self.position

    def readinto(self, buffer) -> int:
        while not self.pending:
            if self.count >= self.records:
                return 0
            item = next(self.items, None)
            if item is None:
                self.records = self.count
                return 0
            self.count += 1
            self.pending = memoryview(frame(item))
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        self.position += size
        return size
