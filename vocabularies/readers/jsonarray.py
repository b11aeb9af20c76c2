"""Stream the elements of one big JSON array with flat memory.

Pretty-printed dumps (ROR writes ``json.dumps(records, indent=4)``) put every top-level
element on a line that starts with the same indentation followed by ``{``; JSON strings
cannot hold a raw newline, so that marker only occurs between tokens. Such input is cut
into ~1 MiB slices at those markers and each slice is parsed by orjson (≈3x faster than
an event parser). A slice that does not parse - bad JSON, or a layout the marker does
not fit - hands the rest of the stream, from that slice on, to ijson's C backend
(yajl2_c), which is also used for non-pretty input and gives the authoritative error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import ijson
import orjson

_backend = ijson.get_backend("yajl2_c")
READ = 1 << 20
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


def json_array_items(stream, *, read_size: int = READ) -> Iterator:
    """Yield the elements of the JSON array read from the binary ``stream``."""
    buf = stream.read(read_size)
    match = LEADING.match(buf)
    if match is None:
        yield from _ijson(_Chain(buf, stream), 0)
        return
    marker = match.group(1) + b"{"
    start = match.start(1)
    buf = buf[start:]
    done = 0
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
                yield from _ijson(_Chain(b"[" + buf, stream), done)
                return
            slice_, rest = body[:-1], b""
        else:
            slice_, rest = buf[:cut], buf[cut:]
        try:
            items = orjson.loads(b"[" + slice_.rstrip().rstrip(b",") + b"]")
        except orjson.JSONDecodeError:
            yield from _ijson(_Chain(b"[" + buf, stream), done)
            return
        yield from items
        done += len(items)
        buf = rest
        if eof and not buf:
            return
