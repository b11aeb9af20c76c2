"""Run-log rows in PostgreSQL's binary COPY format: pure, no Django, no database.

Shared by the in-process writer (``jobs.runlog``) and the writer process
(``jobs.logpipe``). A row is ``(created, level, logger, message)``: ``created`` a POSIX
timestamp (``LogRecord.created``), ``level`` a logging level number.
"""

from __future__ import annotations

import struct
from itertools import chain, repeat

COPY_SQL = "COPY jobs_runlog (run_id, seq, created_at, level, message, logger) FROM STDIN WITH (FORMAT binary)"
_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_TRAILER = b"\xff\xff"
# A row: field count, then (length, value) per column: run_id int8, seq int4,
# created_at timestamptz (int8 microseconds since 2000-01-01 UTC), level int2, message, logger.
# Everything up to the message's length is one struct, so a row is four pieces: the
# constant head, that struct, the message and the (cached) logger field.
_ROW_HEAD = struct.Struct(">hiqi")
_ROW = struct.Struct(">iiqihi")
_INT4 = struct.Struct(">i")
_PG_EPOCH_MICROS = 946_684_800 * 1_000_000
LOGGER_MAX_LENGTH = 200


class CopyRows:
    """Build the COPY data of one run's batches; keeps the encoded logger names."""

    def __init__(self, run_id: int):
        self.run_id = run_id
        self._head = _ROW_HEAD.pack(6, 8, run_id, 4)
        self._names: dict[str, bytes] = {}

    def build(self, first: int, rows) -> bytes:
        """``rows`` numbered from ``first``, built column by column in C-level passes (no
        per-row Python): no escaping, no timestamp text for the server to parse. NUL
        (which PostgreSQL text cannot hold) is dropped, unencodable characters become ``?``."""
        created, levels, names, messages = zip(*rows, strict=True)
        joined = "\x00".join(messages)
        if joined.count("\x00") != len(messages) - 1:
            messages = [message.replace("\x00", "") for message in messages]
        encoded = list(map(str.encode, messages, repeat("utf-8"), repeat("replace")))
        for name in set(names).difference(self._names):
            name_bytes = name[:LOGGER_MAX_LENGTH].encode("utf-8", "replace")
            self._names[name] = _INT4.pack(len(name_bytes)) + name_bytes
        micros = map(int, map(1_000_000.0.__mul__, created))  # truncated to the microsecond
        fixed = map(
            _ROW.pack,
            range(first, first + len(messages)),
            repeat(8),
            map((-_PG_EPOCH_MICROS).__add__, micros),
            repeat(2),
            levels,
            map(len, encoded),
        )
        parts = zip(repeat(self._head), fixed, encoded, map(self._names.__getitem__, names), strict=False)
        return b"".join((_HEADER, b"".join(chain.from_iterable(parts)), _TRAILER))
