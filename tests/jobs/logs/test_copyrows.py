"""The binary COPY rows of run logs, decoded field by field (pure: no database)."""

import datetime as dt
import struct

from jobs.logs.copyrows import _HEADER, _TRAILER, LOGGER_MAX_LENGTH, CopyRows

PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _decode(data: bytes) -> list[tuple]:
    assert data.startswith(_HEADER) and data.endswith(_TRAILER)
    body, rows, at = data[len(_HEADER):-len(_TRAILER)], [], 0
    while at < len(body):
        (count,) = struct.unpack_from(">h", body, at)
        at += 2
        fields = []
        for _ in range(count):
            (length,) = struct.unpack_from(">i", body, at)
            fields.append(body[at + 4:at + 4 + length])
            at += 4 + length
        run_id, seq, micros, level = (struct.unpack(fmt, f)[0] for fmt, f in zip((">q", ">i", ">q", ">h"), fields[:4], strict=True))
        created = PG_EPOCH + dt.timedelta(microseconds=micros)
        rows.append((run_id, seq, created, level, fields[4].decode(), fields[5].decode()))
    return rows


def test_rows_carry_run_sequence_time_level_message_and_logger():
    at = dt.datetime(2026, 11, 30, 9, 30, 15, 123456, tzinfo=dt.UTC)
    rows = [(at.timestamp(), 20, "app.one", "first"), (at.timestamp() + 1, 40, "app.two", "ünïcødé ✓")]
    assert _decode(CopyRows(77).build(5, rows)) == [
        (77, 5, at, 20, "first", "app.one"),
        (77, 6, at + dt.timedelta(seconds=1), 40, "ünïcødé ✓", "app.two"),
    ]


def test_nul_is_dropped_unencodable_text_replaced_and_long_logger_names_cut():
    rows = [(0.0, 30, "x" * 300, "nul\x00byte"), (0.0, 30, "short", "lone \ud800")]
    decoded = _decode(CopyRows(1).build(1, rows))
    assert [r[4] for r in decoded] == ["nulbyte", "lone ?"]
    assert decoded[0][5] == "x" * LOGGER_MAX_LENGTH and decoded[1][5] == "short"


def test_an_empty_message_is_an_empty_field_not_null():
    assert _decode(CopyRows(3).build(1, [(0.0, 10, "a", "")]))[0][4] == ""
