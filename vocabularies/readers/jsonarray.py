"""Stream the elements of one big JSON array with flat memory.

Pretty-printed dumps (ROR writes ``json.dumps(records, indent=4)``) put every top-level
element on a line that starts with the same indentation followed by ``{``; JSON strings
cannot hold a raw newline, so that marker only occurs between tokens. Such input is cut
into ~1 MiB slices at those markers and each slice is parsed by orjson (≈3x faster than
an event parser). A slice that does not parse - bad JSON, or a layout the marker does
not fit - hands the rest of the stream, from that slice on, to ijson's C backend
(yajl2_c), which is also used for non-pretty input and gives the authoritative error.

Sharded (``shard=(index, count)``), slices are taken in groups of ``GROUP_SLICES`` and
only every count-th group, starting at ``index``, is parsed (the others are skipped),
each followed by ``SHARD_BREAK``: ``count`` processes reading the same stream parse it
together. Where ijson takes over, shard 0 (at the start) or the shard of the slice that
did not parse yields every element from there on, without further breaks; its errors
say the byte offset of that slice (the elements of the other shards are not counted).
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
WHITESPACE = b" \t\r\n"
COMMA, CLOSE = ord(","), ord("]")
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


def _ijson(stream, done: int, offset: int | None = None) -> Iterator:
    """ijson's elements of ``stream``, after ``done`` elements (or, ``offset`` given: from that byte on)."""
    count = done
    try:
        for item in _backend.items(stream, "item", use_float=True):
            count += 1
            yield item
    except ijson.JSONError as exc:
        where = f"record {count}" if offset is None else f"byte {offset} (and {count} records from there)"
        raise JSONArrayError(f"invalid or truncated JSON after {where}: {exc}") from exc


def _end(buf: bytearray, stop: int) -> int:
    """``stop`` less the whitespace, then the commas, before it (as ``.rstrip().rstrip(b",")``)."""
    while stop and buf[stop - 1] in WHITESPACE:
        stop -= 1
    while stop and buf[stop - 1] == COMMA:
        stop -= 1
    return stop


def json_array_items(stream, *, read_size: int | None = None, shard: tuple[int, int] | None = None) -> Iterator:
    """Yield the elements of the JSON array read from the binary ``stream`` (of one shard)."""
    read_size = read_size or READ
    index, count = shard or (0, 1)
    head = stream.read(read_size)
    match = LEADING.match(head)
    if match is None:
        if index == 0:
            yield from _ijson(_Chain(head, stream), 0)
        return
    marker = match.group(1) + b"{"
    # One growing buffer, consumed from the front: each byte is copied into it once and
    # once more into the slice that orjson parses (bytes concatenations copied it ~5 times).
    buf = bytearray(memoryview(head)[match.start(1):])
    done = number = 0
    offset = match.start(1) if shard is not None else None  # of ``buf`` in the stream, when sharded
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
            stop = len(buf)
            while stop and buf[stop - 1] in WHITESPACE:
                stop -= 1
            if not stop or buf[stop - 1] != CLOSE:
                if number // GROUP_SLICES % count == index:
                    yield from _ijson(_Chain(b"[" + buf, stream), done, offset)
                return
            stop, consumed = stop - 1, len(buf)
        else:
            stop = consumed = cut
        mine = number // GROUP_SLICES % count == index
        if mine:
            with memoryview(buf) as view:
                part = view[:_end(buf, stop)]
                text = b"".join((b"[", part, b"]"))
                part.release()
            try:
                items = orjson.loads(text)
            except orjson.JSONDecodeError:
                yield from _ijson(_Chain(b"[" + buf, stream), done, offset)
                return
            del text
            yield from items
            done += len(items)
        if shard is not None:
            # The others' elements are not counted (bytes.count of the marker would cost a
            # third of the parsing): errors say where by the byte offset instead.
            done, offset = 0, offset + consumed
        del buf[:consumed]
        number += 1
        end = eof and not buf
        if shard is not None and mine and (end or number % GROUP_SLICES == 0):
            yield SHARD_BREAK
        if end:
            return
