"""Stream the elements of one big JSON array with flat memory.

Pretty-printed dumps (ROR writes ``json.dumps(records, indent=4)``) put every top-level
element on a line that starts with the same indentation followed by ``{``; JSON strings
cannot hold a raw newline, so that marker only occurs between tokens. Such input is cut
into ~1 MiB slices at those markers and each slice is parsed by orjson (≈3x faster than
an event parser). A slice that does not parse - bad JSON, or a layout the marker does
not fit - hands the rest of the stream, from that slice on, to ijson's C backend
(yajl2_c), which is also used for non-pretty input and gives the authoritative error.

Sharded (``shard=(index, count)``), slices are taken in groups of ``GROUP_SLICES`` and
only every count-th group, starting at ``index``, is parsed (the others are only counted),
each followed by ``SHARD_BREAK``: ``count`` processes reading the same stream parse it
together. Where ijson takes over, shard 0 (at the start) or the shard of the slice that
did not parse yields every element from there on, without further breaks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import ijson
import orjson

from vocabularies.readers.files import SHARD_BREAK

_backend = ijson.get_backend("yajl2_c")
READ = 1 << 20
GROUP_SLICES = 8  # ~2 MiB slices: ~16 MiB, ~4,700 ROR records a group
LEADING = re.compile(rb"\A\s*\[(\r?\n[ \t]*)\{")


class JSONArrayError(ValueError):
    """The stream is not a JSON array of objects (message says where)."""


class _Chain:
    """A file-like object that reads ``head`` and then ``stream``."""

    def __init__(self, head: bytes, stream):
        self.head = head
        self.stream = stream

    def read(self, size: int = -1) -> bytes:
        if self.head:
            data, self.head = (self.head, b"") if size < 0 or size >= len(self.head) else (self.head[:size], self.head[size:])
            return data
        return self.stream.read(size)


def _ijson(stream, done: int) -> Iterator:
    count = done
    try:
        for item in _backend.items(stream, "item", use_float=True):
            count += 1
            yield item
    except ijson.JSONError as exc:
        raise JSONArrayError(f"invalid or truncated JSON after record {count}: {exc}") from exc


def json_array_items(stream, *, read_size: int | None = None, shard: tuple[int, int] | None = None) -> Iterator:
    """Yield the elements of the JSON array read from the binary ``stream`` (of one shard)."""
    read_size = read_size or READ
    index, count = shard or (0, 1)
    buf = stream.read(read_size)
    match = LEADING.match(buf)
    if match is None:
        if index == 0:
            yield from _ijson(_Chain(buf, stream), 0)
        return
    marker = match.group(1) + b"{"
    start = match.start(1)
    buf = buf[start:]
    done = number = 0
    eof = False
    while True:
        if not eof and len(buf) < 2 * read_size:
            more = stream.read(read_size)
            eof = not more
            buf += more
            continue
        cut = buf.rfind(marker, 1) if not eof else -1
        if cut <= 0:
            if not eof:  # one element larger than the buffer: read on
                more = stream.read(read_size)
                eof = not more
                buf += more
                continue
            body = buf.rstrip()
            if not body.endswith(b"]"):
                if number // GROUP_SLICES % count == index:
                    yield from _ijson(_Chain(b"[" + buf, stream), done)
                return
            slice_, rest = body[:-1], b""
        else:
            slice_, rest = buf[:cut], buf[cut:]
        mine = number // GROUP_SLICES % count == index
        if mine:
            try:
                items = orjson.loads(b"[" + slice_.rstrip().rstrip(b",") + b"]")
            except orjson.JSONDecodeError:
                yield from _ijson(_Chain(b"[" + buf, stream), done)
                return
            yield from items
            done += len(items)
        else:
            done += slice_.count(marker)  # each element starts with the marker
        buf = rest
        number += 1
        end = eof and not buf
        if shard is not None and mine and (end or number % GROUP_SLICES == 0):
            yield SHARD_BREAK
        if end:
            return
