"""Capture what a run logs into ``RunLog``, in batches, off the task's thread.

The handler only appends ``(created, level, logger, message)`` tuples to a buffer: no
lock, no datetime, no sequence number per record. Full batches, and the lines of a run
that has gone quiet for ``JOBS_RUN_LOG_FLUSH_SECONDS`` (handed over by one flusher
thread per process), go to a writer thread, started on the first handed-over batch,
that numbers the rows and stores them: on PostgreSQL it forwards full batches to a
writer process (``jobs.logs.pipe``) that builds one binary COPY per batch on the other
core (or, with ``JOBS_RUN_LOG_PROCESS`` off, does so itself on a connection of its
own); elsewhere it bulk-INSERTs them. The queue between them is bounded, so a database
that cannot keep up slows the job down instead of eating memory, and the job never
waits longer than one batch write. A run that ends within one flush interval (most
runs) needs no writer thread: its lines are stored in one COPY on the task's own
connection when it ends.
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

from django.db import DatabaseError, InterfaceError, OperationalError, connections, transaction

from jobs import conf
from jobs.lifeline import ProcessThread
from jobs.logs.copyrows import COPY_SQL, LOGGER_MAX_LENGTH, CopyRows
from jobs.logs.pipe import RETRY_SECONDS, LogPipe
from jobs.models import RunLog

logger = logging.getLogger(__name__)

_STOP = object()


class RunLogWriter:
    """Number and store the log rows of one run, batch by batch, in order.

    ``put`` hands a batch to a writer thread (started on first use) through a bounded
    queue; ``write`` stores a batch on the calling thread's connection. ``inline``
    writers (the caller is inside a transaction another connection could not see
    through) always write on the calling thread. On PostgreSQL, with
    ``JOBS_RUN_LOG_PROCESS`` on, the writer thread only forwards each batch to a writer
    process (``jobs.logpipe``), which builds the COPY data and stores it on the other
    core, so a run that logs heavily keeps its own process's time for its work.
    """

    def __init__(self, run_id: int, *, max_pending_batches: int = 20, inline: bool = False):
        self.run_id = run_id
        self.inline = inline
        self.max_pending_batches = max_pending_batches
        self.seq = 0
        self.written = 0
        self.error: BaseException | str | None = None
        self._batches: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._copy = CopyRows(run_id)
        self._pipe_failed = False
        # Batches at least this long go to a writer process (full batches; timed flushes are smaller).
        self.process_min_rows = conf.get("JOBS_RUN_LOG_BATCH_SIZE")

    def put(self, rows: list):
        if self.inline:
            self.write(rows)
            return
        if self._thread is None:
            self._batches = queue.Queue(maxsize=self.max_pending_batches)
            self._thread = threading.Thread(target=self._drain, name=f"runlog-{self.run_id}", daemon=True)
            self._thread.start()
        self._enqueue(rows)

    def _enqueue(self, item):
        """Queue a batch (or the stop mark); never wait on a writer thread that has died."""
        while True:
            try:
                self._batches.put(item, timeout=1.0)
                return
            except queue.Full:
                if not self._thread.is_alive():
                    self.error = self.error or "the log writer thread stopped"
                    return

    def close(self, rows: list | None = None):
        """Store ``rows`` (the last, partial batch) after every queued batch; wait for them."""
        if self._thread is None:
            if rows:
                self.write(rows)
            return
        if rows:
            self._enqueue(rows)
        self._enqueue(_STOP)
        self._thread.join()

    def _batches_until_stop(self):
        while (rows := self._batches.get()) is not _STOP:
            yield rows

    def _drain(self):
        connection = connections["default"]
        use_process = connection.vendor == "postgresql" and conf.get("JOBS_RUN_LOG_PROCESS")
        pipe, sent, quiet = None, 0, False
        try:
            for rows in self._batches_until_stop():
                # Timed flushes of a quiet run are small: the process starts at the first full batch.
                if pipe is None and use_process and len(rows) >= self.process_min_rows:
                    use_process = False
                    pipe = self._pipe_open(connection)
                if pipe is not None or self._pipe_failed:
                    first = self.seq + 1
                    self.seq += len(rows)
                    if self.error is None:
                        try:
                            pipe.send(first, rows)
                            sent += len(rows)
                        except OSError as exc:  # the process stopped: its report says why
                            self.error = exc
                    continue
                if not quiet and connection.vendor == "postgresql":
                    # This connection only stores log lines: a database crash may lose the
                    # last fraction of a second of them, and commits need not wait for the disk.
                    quiet = self._quiet_commits(connection)
                self.write(rows)
        finally:
            if pipe is not None:
                self._pipe_close(pipe, sent)
            connections.close_all()

    def _quiet_commits(self, connection) -> bool:
        try:
            connection.close_if_unusable_or_obsolete()
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO off")
        except DatabaseError:
            connection.close()  # the batch's own write reports the error
            return False
        return True

    def _pipe_open(self, connection) -> LogPipe | None:
        params = connection.get_connection_params()
        connect = {key: value for key, value in params.items() if isinstance(value, (str, int, float))}
        try:
            return LogPipe(self.run_id, connect)
        except OSError as exc:  # it could not be started: the lines are counted, not stored
            self._pipe_failed = True
            self._failed(exc)
            return None

    def _pipe_close(self, pipe: LogPipe, sent: int):
        written, reason = pipe.close()
        self.written += written
        if reason is not None or written != sent:
            self.error = reason or self.error or f"{sent - written} of {sent} lines not stored"
            logger.error("runlog_write_failed run_id=%s error=%s", self.run_id, self.error)

    def write(self, rows: list):
        first = self.seq + 1
        self.seq += len(rows)
        if self.error is not None:
            return
        connection = connections["default"]
        # Outside a transaction a batch lost with the connection (a database restart) is
        # written again on a new one; inside, the caller's transaction is gone with it.
        deadline = None if connection.in_atomic_block else time.monotonic() + RETRY_SECONDS
        while True:
            try:
                self._write_once(connection, first, rows)
                self.written += len(rows)
                return
            except (OperationalError, InterfaceError) as exc:
                if deadline is None or time.monotonic() >= deadline:
                    self._failed(exc)
                    return
                connection.close()
                time.sleep(0.5)
            except (DatabaseError, UnicodeError, struct.error) as exc:  # a lost log batch must not fail the job itself
                self._failed(exc)
                return

    def _failed(self, exc: BaseException):
        self.error = exc
        logger.error("runlog_write_failed run_id=%s error=%s", self.run_id, exc)

    def _write_once(self, connection, first: int, rows: list):
        # In a transaction, a savepoint keeps a failed batch from aborting the caller's work.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            if connection.vendor == "postgresql":
                data = self._copy.build(first, rows)
                with connection.cursor() as cursor, connection.wrap_database_errors:
                    # One read of the whole batch: psycopg2 releases the GIL for every chunk
                    # it sends, and each re-acquisition can wait for the task's thread.
                    cursor.copy_expert(COPY_SQL, io.BytesIO(data), len(data) + 1)
            else:
                self._bulk_insert(first, rows)

    def _bulk_insert(self, first: int, rows: list):
        RunLog.objects.bulk_create(
            [
                RunLog(
                    run_id=self.run_id,
                    seq=seq,
                    created_at=dt.datetime.fromtimestamp(created, dt.UTC),
                    level=level,
                    logger=name[:LOGGER_MAX_LENGTH],
                    message=message.replace("\x00", ""),
                )
                for seq, (created, level, name, message) in enumerate(rows, start=first)
            ]
        )


class RunLogFlusher(ProcessThread):
    """Hand over the lines of quiet runs: one daemon thread per process, shared by its runs.

    A run that logs a few lines and then waits (a slow download, a hung connection) would
    otherwise keep them in its buffer until its next line. Every quarter of
    ``JOBS_RUN_LOG_FLUSH_SECONDS`` this thread passes each registered handler's lines that
    waited that long to its writer; it never touches the database itself.
    """

    def __init__(self):
        super().__init__(name="runlog-flusher")
        self._handlers: set[RunLogHandler] = set()
        self._lock = threading.Lock()

    def add(self, handler: RunLogHandler):
        with self._lock:
            self._handlers.add(handler)

    def discard(self, handler: RunLogHandler):
        with self._lock:
            self._handlers.discard(handler)

    def run(self):
        while True:
            time.sleep(conf.get("JOBS_RUN_LOG_FLUSH_SECONDS") / 4)
            with self._lock:
                handlers = list(self._handlers)
            for handler in handlers:
                handler.flush_quiet()


class RunLogHandler(logging.Handler):
    """Buffer the records of one thread into batches for a ``RunLogWriter``.

    Only the run's thread appends to and replaces ``buffer``; the flusher thread hands
    over the lines appended so far (``_handed`` of them) without replacing it, under a
    lock that the run's thread takes only when a batch is full or due.
    """

    def __init__(self, run_id: int, *, level=None, thread_id: int | None = None):
        # Inside a transaction (in-process execution in a test or a caller's atomic
        # block) another connection could not see the run: write on this one.
        inline = connections["default"].in_atomic_block
        super().__init__(level=logging.getLevelName(level or conf.get("JOBS_RUN_LOG_LEVEL")))
        self.run_id = run_id
        self.thread_id = thread_id if thread_id is not None else threading.get_ident()
        self.batch_size = conf.get("JOBS_RUN_LOG_BATCH_SIZE")
        self.flush_seconds = conf.get("JOBS_RUN_LOG_FLUSH_SECONDS")
        self.buffer: list = []
        self.last_flush = time.time()
        self.writer = RunLogWriter(run_id, inline=inline)
        self._handed = 0  # lines at the head of ``buffer`` the flusher already handed over
        self._flush_lock = threading.Lock()
        self._closed = False
        # Inline writers write on the run's own connection: only its thread may flush them.
        self._flusher = None if inline else RunLogFlusher.shared()
        if self._flusher is not None:
            self._flusher.add(self)

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

    def _take(self) -> list:
        """Replace the buffer; return its lines not handed over yet (the caller holds the lock)."""
        rows, self.buffer = self.buffer, []
        handed, self._handed = self._handed, 0
        return rows[handed:] if handed else rows

    def flush(self):
        with self._flush_lock:
            if self._closed:
                return
            rows = self._take()
            if rows:
                self.writer.put(rows)
            self.last_flush = time.time()

    def flush_quiet(self):
        """From the flusher thread: hand over the lines that waited ``flush_seconds``."""
        with self._flush_lock:
            buffer = self.buffer
            end = len(buffer)
            if self._closed or end == self._handed or time.time() - self.last_flush < self.flush_seconds:
                return
            rows = buffer[self._handed:end]
            self._handed = end
            self.writer.put(rows)
            self.last_flush = time.time()

    def close(self):
        if self._flusher is not None:
            self._flusher.discard(self)
        with self._flush_lock:
            if self._closed:
                return
            self._closed = True
            rows = self._take()
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
        if not conf.get("JOBS_RUN_LOG_ENABLED"):
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
