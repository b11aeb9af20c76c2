"""A run's log writer process: stores batches of log rows sent through a pipe.

A run that logs heavily would otherwise spend its own process's time (and the GIL) on
building COPY data. Instead, the writer thread of ``jobs.runlog`` starts
``python -m jobs.logpipe`` and sends it each batch as one ``marshal`` frame (a C-level
dump of the row tuples, a few percent of the cost of building COPY data); this process
builds the binary COPY (``jobs.logcopy``) and stores it over its own connection, on the
other core. It imports neither Django nor the project's settings: the first frame
carries the connection parameters and the run id.

Frames on stdin: a 4-byte big-endian length, then ``marshal.dumps`` of
``{"connect": {...}, "run_id": N}`` first, then of ``(first_seq, rows)`` per batch.
At end of input it commits what it has and reports one line on stdout:
``ok <rows stored>`` or ``error <rows stored> <reason>``. A batch that fails because the
database went away is sent again on a new connection for up to ``RETRY_SECONDS``; the
process ends when its input does, so it never outlives the run's process.
"""

from __future__ import annotations

import io
import marshal
import signal
import struct
import subprocess
import sys
import time

import psycopg2

from jobs.logs.copyrows import COPY_SQL, CopyRows

_LENGTH = struct.Struct(">I")
# How long a batch is retried while the database is unreachable (a restart, a failover).
RETRY_SECONDS = 30.0


def frame(value) -> bytes:
    data = marshal.dumps(value)
    return _LENGTH.pack(len(data)) + data


def _frames(stream):
    while True:
        head = stream.read(_LENGTH.size)
        if len(head) < _LENGTH.size:
            return
        (length,) = _LENGTH.unpack(head)
        data = stream.read(length)
        if len(data) < length:
            return
        yield marshal.loads(data)


class _Store:
    """One autocommit connection that survives a database restart: a failed COPY stored nothing, so it is sent again."""

    def __init__(self, connect: dict, retry_seconds: float):
        self.connect = connect
        self.retry_seconds = retry_seconds
        self.connection = None

    def copy(self, data: bytes):
        deadline = None
        while True:
            try:
                if self.connection is None:
                    self.connection = psycopg2.connect(**self.connect)
                    self.connection.autocommit = True
                    with self.connection.cursor() as cursor:
                        # This connection only stores log lines: a database crash may lose the last
                        # fraction of a second of them, and commits need not wait for the disk.
                        cursor.execute("SET synchronous_commit TO off")
                with self.connection.cursor() as cursor:
                    cursor.copy_expert(COPY_SQL, io.BytesIO(data), len(data) + 1)
                return
            except (psycopg2.OperationalError, psycopg2.InterfaceError):
                self.close()
                deadline = deadline or time.monotonic() + self.retry_seconds
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.5)

    def close(self):
        if self.connection is not None:
            try:
                self.connection.close()
            except psycopg2.Error:
                pass  # already gone with the server
            self.connection = None


def serve(stdin, stdout) -> int:
    """Store every batch read from ``stdin``; report on ``stdout``; return the exit status."""
    frames = _frames(stdin)
    written = 0
    store = None
    try:
        start = next(frames)
        copy = CopyRows(start["run_id"])
        store = _Store(start["connect"], start.get("retry_seconds", RETRY_SECONDS))
        for first, rows in frames:
            store.copy(copy.build(first, rows))
            written += len(rows)
    except (psycopg2.Error, StopIteration, KeyError, TypeError, ValueError, UnicodeError, struct.error) as exc:
        reason = f"{type(exc).__name__}: {exc}".replace("\n", " ").strip()
        stdout.write(f"error {written} {reason}\n")
        return 1
    finally:
        if store is not None:
            store.close()
    stdout.write(f"ok {written}\n")
    return 0


class LogPipe:
    """The run's side of a writer process."""

    def __init__(self, run_id: int, connect: dict):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jobs.logs.pipe"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=False,
        )
        try:
            self.send_value({"connect": connect, "run_id": run_id})
        except OSError:
            pass  # it stopped at once; the next send fails too, and close() reports why

    def send_value(self, value):
        """Send one frame; an ``OSError`` (BrokenPipeError) means the process has stopped."""
        self.process.stdin.write(frame(value))
        self.process.stdin.flush()

    def send(self, first: int, rows: list):
        self.send_value((first, rows))

    def close(self) -> tuple[int, str | None]:
        """End the input, wait for the process; return (rows stored, error or None)."""
        try:
            self.process.stdin.close()
        except OSError:
            pass  # it stopped already; its report says why
        report = self.process.stdout.read().decode("utf-8", "replace").strip()
        self.process.stdout.close()
        code = self.process.wait()
        status, _, rest = report.partition(" ")
        count, _, reason = rest.partition(" ")
        written = int(count) if count.isdigit() else 0
        if status == "ok" and code == 0:
            return written, None
        return written, reason or f"log writer process ended with status {code} and no report"


def main() -> int:
    # It stops when its input ends (the run's process closed it or died), never on a
    # signal sent to the worker's process group, so the last lines are still stored.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    return serve(sys.stdin.buffer, sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
