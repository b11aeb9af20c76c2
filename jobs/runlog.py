"""Capture what a run logs into ``RunLog``, in batches, off the task's thread.

The handler only appends tuples to a buffer; a writer thread with its own database
connection stores full batches (COPY on PostgreSQL, bulk INSERT elsewhere). The buffer
is bounded, so a database that cannot keep up slows the job down instead of eating
memory, and a flush never holds the task for longer than one batch write.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import queue
import threading
import time

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

_STOP = object()


class RunLogWriter(threading.Thread):
    """Write batches of log rows for one run from a bounded queue."""

    def __init__(self, run_id: int, *, max_pending_batches: int = 20, inline: bool = False):
        super().__init__(name=f"runlog-{run_id}", daemon=True)
        self.run_id = run_id
        self.inline = inline
        self.batches: queue.Queue = queue.Queue(maxsize=max_pending_batches)
        self.written = 0
        self.error: BaseException | None = None

    def run(self):
        try:
            while True:
                batch = self.batches.get()
                if batch is _STOP:
                    break
                if self.error is None:
                    self._write(batch)
        finally:
            connections.close_all()

    def _write(self, rows):
        connection = connections["default"]
        try:
            if connection.vendor == "postgresql":
                _copy_rows(connection, self.run_id, rows)
            else:
                from jobs.models import RunLog

                RunLog.objects.bulk_create(
                    [
                        RunLog(run_id=self.run_id, seq=seq, created_at=created, level=level, logger=name, message=msg)
                        for seq, created, level, name, msg in rows
                    ]
                )
            self.written += len(rows)
        except DatabaseError as exc:  # a lost log batch must not fail the job itself
            self.error = exc
            logger.error("runlog_write_failed run_id=%s error=%s", self.run_id, exc)

    def put(self, batch):
        if self.inline:
            self._write(batch)
        else:
            self.batches.put(batch)

    def start(self):
        if not self.inline:
            super().start()

    def close(self):
        if not self.inline:
            self.batches.put(_STOP)
            self.join()


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\x00": ""})


def _copy_rows(connection, run_id, rows):
    buf = io.StringIO()
    write = buf.write
    for seq, created, level, name, msg in rows:
        write(
            f"{run_id}\t{seq}\t{created.isoformat()}\t{level}\t{name.translate(_COPY_ESCAPES)}\t"
            f"{msg.translate(_COPY_ESCAPES)}\n"
        )
    buf.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert("COPY jobs_runlog (run_id, seq, created_at, level, logger, message) FROM STDIN", buf)


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
        self.seq = 0
        self.buffer: list = []
        self.last_flush = time.time()
        self.writer = RunLogWriter(run_id, inline=inline)
        self.writer.start()

    def emit(self, record):
        if record.thread != self.thread_id:
            return
        try:
            msg = record.getMessage()
        except (TypeError, ValueError) as exc:
            msg = f"{record.msg!r} (bad log arguments: {exc})"
        if record.exc_info:
            msg = f"{msg}\n{logging.Formatter().formatException(record.exc_info)}"
        self.seq += 1
        self.buffer.append(
            (self.seq, dt.datetime.fromtimestamp(record.created, dt.UTC), record.levelno, record.name[:200], msg)
        )
        if len(self.buffer) >= self.batch_size or record.created - self.last_flush >= self.flush_seconds:
            self.flush()

    def flush(self):
        if self.buffer:
            self.writer.put(self.buffer)
            self.buffer = []
        self.last_flush = time.time()

    def close(self):
        self.flush()
        self.writer.close()
        super().close()


class capture_run_logs:
    """Attach a ``RunLogHandler`` to the root logger for the duration of a run."""

    def __init__(self, run_id: int):
        self.run_id = run_id
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

    def __exit__(self, *exc):
        if self.handler is None:
            return False
        root = logging.getLogger()
        root.removeHandler(self.handler)
        root.setLevel(self._old_level)
        self.handler.close()
        return False
