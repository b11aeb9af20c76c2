"""Capture what a run logs into ``RunLog``, in batches, off the task's thread.

The handler only appends ``(created, level, logger, message)`` tuples to a buffer: no
lock, no datetime, no sequence number per record. Full batches go to a writer thread
with its own database connection, started on the first full batch, that numbers the
rows and stores them (one binary COPY on PostgreSQL, bulk INSERT elsewhere). The queue
between them is bounded, so a database that cannot keep up slows the job down instead of
eating memory, and the job never waits longer than one batch write. A run that logs less
than one batch (most runs) needs no thread: its lines are stored in one COPY on the task's
own connection when it ends.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import queue
import struct
import threading
import time
from contextlib import nullcontext
from itertools import chain, repeat

from django.conf import settings
from django.db import DatabaseError, connections, transaction

logger = logging.getLogger(__name__)

_STOP = object()
_COPY_SQL = "COPY jobs_runlog (run_id, seq, created_at, level, message, logger) FROM STDIN WITH (FORMAT binary)"
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
# A row: field count, then (length, value) per column: run_id int8, seq int4,
# created_at timestamptz (int8 microseconds since 2000-01-01 UTC), level int2, message, logger.
# Everything up to the message's length is one struct, so a row is three pieces:
# that struct, the message and the (cached) logger field.
_BINARY_ROW_HEAD = struct.Struct(">hiqi")
_BINARY_ROW = struct.Struct(">iiqihi")
_INT4 = struct.Struct(">i")
_PG_EPOCH_MICROS = 946_684_800 * 1_000_000


class RunLogWriter:
    """Number and store the log rows of one run, batch by batch, in order.

    ``put`` hands a batch to a writer thread (started on first use) through a bounded
    queue; ``write`` stores a batch on the calling thread's connection. ``inline``
    writers (the caller is inside a transaction another connection could not see
    through) always write on the calling thread.
    """

    def __init__(self, run_id: int, *, max_pending_batches: int = 20, inline: bool = False):
        self.run_id = run_id
        self.inline = inline
        self.max_pending_batches = max_pending_batches
        self.seq = 0
        self.written = 0
        self.error: BaseException | None = None
        self._batches: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._names: dict[str, bytes] = {}

    def put(self, rows: list):
        if self.inline:
            self.write(rows)
            return
        if self._thread is None:
            self._batches = queue.Queue(maxsize=self.max_pending_batches)
            self._thread = threading.Thread(target=self._drain, name=f"runlog-{self.run_id}", daemon=True)
            self._thread.start()
        self._batches.put(rows)

    def close(self, rows: list | None = None):
        """Store ``rows`` (the last, partial batch) after every queued batch; wait for them."""
        if self._thread is None:
            if rows:
                self.write(rows)
            return
        if rows:
            self._batches.put(rows)
        self._batches.put(_STOP)
        self._thread.join()

    def _drain(self):
        try:
            if connections["default"].vendor == "postgresql":
                # This connection only stores log lines: a database crash may lose the
                # last fraction of a second of them, and commits need not wait for the disk.
                with connections["default"].cursor() as cursor:
                    cursor.execute("SET synchronous_commit TO off")
            while True:
                rows = self._batches.get()
                if rows is _STOP:
                    break
                self.write(rows)
        finally:
            connections.close_all()

    def write(self, rows: list):
        first = self.seq + 1
        self.seq += len(rows)
        if self.error is not None:
            return
        connection = connections["default"]
        try:
            # In a transaction, a savepoint keeps a failed batch from aborting the caller's work.
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                if connection.vendor == "postgresql":
                    data = self.copy_binary(first, rows)
                    with connection.cursor() as cursor, connection.wrap_database_errors:
                        # One read of the whole batch: psycopg2 releases the GIL for every chunk
                        # it sends, and each re-acquisition can wait for the task's thread.
                        cursor.copy_expert(_COPY_SQL, io.BytesIO(data), len(data) + 1)
                else:
                    self._bulk_insert(first, rows)
            self.written += len(rows)
        except (DatabaseError, UnicodeError, struct.error) as exc:  # a lost log batch must not fail the job itself
            self.error = exc
            logger.error("runlog_write_failed run_id=%s error=%s", self.run_id, exc)

    def copy_binary(self, first: int, rows: list) -> bytes:
        """Rows in COPY's binary format, built column by column in C-level passes (no
        per-row Python): no escaping, no timestamp text for the server to parse. NUL
        (which PostgreSQL text cannot hold) is dropped, unencodable characters become ``?``."""
        created, levels, names, messages = zip(*rows, strict=True)
        joined = "\x00".join(messages)
        if joined.count("\x00") != len(messages) - 1:
            messages = [message.replace("\x00", "") for message in messages]
        encoded = list(map(str.encode, messages, repeat("utf-8"), repeat("replace")))
        for name in set(names).difference(self._names):
            name_bytes = name[:200].encode("utf-8", "replace")
            self._names[name] = _INT4.pack(len(name_bytes)) + name_bytes
        micros = map(int, map(1_000_000.0.__mul__, created))  # truncated to the microsecond
        fixed = map(
            _BINARY_ROW.pack,
            range(first, first + len(rows)),
            repeat(8),
            map((-_PG_EPOCH_MICROS).__add__, micros),
            repeat(2),
            levels,
            map(len, encoded),
        )
        head = _BINARY_ROW_HEAD.pack(6, 8, self.run_id, 4)
        parts = zip(repeat(head), fixed, encoded, map(self._names.__getitem__, names), strict=False)
        return b"".join((_BINARY_HEADER, b"".join(chain.from_iterable(parts)), b"\xff\xff"))

    def _bulk_insert(self, first: int, rows: list):
        from jobs.models import RunLog

        RunLog.objects.bulk_create(
            [
                RunLog(
                    run_id=self.run_id,
                    seq=seq,
                    created_at=dt.datetime.fromtimestamp(created, dt.UTC),
                    level=level,
                    logger=name[:200],
                    message=message.replace("\x00", ""),
                )
                for seq, (created, level, name, message) in enumerate(rows, start=first)
            ]
        )


class RunLogHandler(logging.Handler):
    """Buffer the records of one thread into batches for a ``RunLogWriter``."""

    def __init__(self, run_id: int, *, level=None, thread_id: int | None = None):
        # Inside a transaction (in-process execution in a test or a caller's atomic
        # block) another connection could not see the run: write on this one.
        inline = connections["default"].in_atomic_block
        super().__init__(level=logging.getLevelName(level or settings.JOBS_RUN_LOG_LEVEL))
        self.run_id = run_id
        self.thread_id = thread_id if thread_id is not None else threading.get_ident()
        self.batch_size = settings.JOBS_RUN_LOG_BATCH_SIZE
        self.flush_seconds = settings.JOBS_RUN_LOG_FLUSH_SECONDS
        self.buffer: list = []
        self.last_flush = time.time()
        self.writer = RunLogWriter(run_id, inline=inline)

    def handle(self, record):
        # Called for every line a run logs, so ``emit`` is inlined here. Only the run's
        # thread appends, so the handler lock that ``Handler.handle`` takes buys nothing;
        # the logger has already compared the level.
        if record.thread != self.thread_id or (self.filters and not self.filter(record)):
            return False
        try:
            msg = record.getMessage()
        except (TypeError, ValueError) as exc:
            msg = f"{record.msg!r} (bad log arguments: {exc})"
        if record.exc_info:
            msg = f"{msg}\n{logging.Formatter().formatException(record.exc_info)}"
        buffer = self.buffer
        buffer.append((record.created, record.levelno, record.name, msg))
        if len(buffer) >= self.batch_size or record.created - self.last_flush >= self.flush_seconds:
            self.flush()
        return True

    def emit(self, record):
        self.handle(record)

    def flush(self):
        if self.buffer:
            rows, self.buffer = self.buffer, []
            self.writer.put(rows)
        self.last_flush = time.time()

    def close(self):
        rows, self.buffer = self.buffer, []
        self.writer.close(rows)
        super().close()


class capture_run_logs:
    """Attach a ``RunLogHandler`` to the root logger for the duration of a run.

    On exit the handler is detached and the lines not stored yet are stored, unless
    ``store_on_exit`` is false: then the caller calls ``store()`` when it likes (inside
    the transaction that records the run's end, so both share one commit). An exception
    leaving the block always stores them at once.
    """

    def __init__(self, run_id: int, *, store_on_exit: bool = True):
        self.run_id = run_id
        self.store_on_exit = store_on_exit
        self.handler: RunLogHandler | None = None
        self._old_level = None

    def __enter__(self):
        if not settings.JOBS_RUN_LOG_ENABLED:
            return None
        self.handler = RunLogHandler(self.run_id)
        root = logging.getLogger()
        self._old_level = root.level
        if root.level > self.handler.level or root.level == logging.NOTSET:
            root.setLevel(self.handler.level)
        root.addHandler(self.handler)
        return self.handler

    def __exit__(self, exc_type, *exc):
        if self.handler is None:
            return False
        root = logging.getLogger()
        root.removeHandler(self.handler)
        if root.level != self._old_level:
            root.setLevel(self._old_level)
        if self.store_on_exit or exc_type is not None:
            self.store()
        return False

    def store(self):
        """Store the lines still buffered and wait until every line is stored (once)."""
        handler, self.handler = self.handler, None
        if handler is not None:
            handler.close()
