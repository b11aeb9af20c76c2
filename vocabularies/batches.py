"""Records -> batches of rows ready to write (mapped, cut, hashed), in this process or a forked one.

``prepared_batches`` is the one place where a record becomes a row: the mapper, the
``since`` filter, cutting over-long values, the content hash, duplicates within a batch
(the last one wins), deletions and errored records. ``forked_batches`` runs it in a
forked child and hands its batches over a pipe, so that parsing and mapping (child) and
writing (this process and its writer thread) use both cores instead of sharing one GIL.
The child touches no database and no logging: errors, skipped counts and progress travel
with the batches and are reported by the parent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import multiprocessing
import os
import pickle
import signal
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import orjson

from jobs import current_run
from vocabularies.exceptions import ImportFailed, RecordInvalid
from vocabularies.readers.files import DELETE


def row_hash(row: dict) -> str:
    return hashlib.md5(orjson.dumps(row, option=orjson.OPT_SORT_KEYS), usedforsecurity=False).hexdigest()


def _older_than(value, since: dt.datetime) -> bool:
    if value is None:
        return False
    if isinstance(value, dt.datetime):
        return value < since
    return value < since.astimezone(dt.UTC).date()


@dataclass
class Batch:
    """Rows to upsert, keys to delete, and what to report about the records that made them."""

    # dicts with "content_hash", or (key, content hash, orjson of the row) when serialized
    rows: list = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    skipped: int = 0
    read: int = 0  # records read so far, this batch included
    progress: tuple[int | None, int | None] | None = None


def prepared_batches(
    *,
    target,
    records: Iterable,
    mapper: Callable[[object], dict | None],
    since: dt.datetime | None,
    limit: int | None,
    batch_size: int,
    serialized: bool,
    tick: Callable[[], None] | None = None,
) -> Iterator[Batch]:
    """Yield batches of at most ``batch_size`` rows + deletes; the last one may be empty.

    ``serialized`` rows are ``(key, hash, orjson bytes)``: the bytes hashed are the row
    itself, so the writer decodes only the rows whose hash changed. ``tick`` is called
    every 1,000 records (cancellation checks).
    """
    key = target.key
    max_lengths = list(target.max_lengths.items())
    sort_keys = orjson.OPT_SORT_KEYS
    md5 = hashlib.md5
    rows: dict[str, object] = {}
    batch = Batch()
    read = 0
    for item in records:
        if limit is not None and read >= limit:
            break
        read += 1
        if tick is not None and read % 1000 == 0:
            tick()
        try:
            if isinstance(item, RecordInvalid):
                raise item
            row = mapper(item)
        except RecordInvalid as exc:
            batch.errors.append((str(exc.record_id), str(exc.reason)))
            row = None
        if row is None:
            pass
        elif row.pop(DELETE, False):
            rows.pop(row[key], None)
            batch.deletes.append(row[key])
        elif since is not None and _older_than(row.get("last_modified"), since):
            batch.skipped += 1
        else:
            for column, max_length in max_lengths:
                value = row[column]
                if value.__class__ is str and len(value) > max_length:
                    row[column] = value[:max_length]
            payload = orjson.dumps(row, option=sort_keys)
            digest = md5(payload, usedforsecurity=False).hexdigest()
            if serialized:
                rows[row[key]] = (row[key], digest, payload)
            else:
                row["content_hash"] = digest
                rows[row[key]] = row
        if len(rows) + len(batch.deletes) >= batch_size or len(batch.errors) >= batch_size:
            batch.rows, batch.read = list(rows.values()), read
            yield batch
            rows, batch = {}, Batch()
    batch.rows, batch.read = list(rows.values()), read
    yield batch


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling (with the child's traceback as a note), else an ImportFailed."""
    text = "".join(traceback.format_exception(exc))
    try:
        exc.add_note(f"in the parsing process:\n{text}")
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - any pickling failure: send the message instead
        return ImportFailed(f"{type(exc).__name__}: {exc}\n{text}")


def _child(produce: Callable[[], Iterable[Batch]], sender) -> int:
    run = current_run()
    if hasattr(run, "_lock"):
        # Only the forking thread lives on here: a lock another thread (the run monitor) held
        # at the fork would stay locked forever, and the reader reports progress under it.
        run._lock = threading.Lock()
    try:
        for batch in produce():
            batch.progress = (run.done, run.total)  # the reader reported to this process's copy of the handle
            sender.send(("batch", batch))
        sender.send(("end", None))
        return 0
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
        with contextlib.suppress(BaseException):
            sender.send(("error", _portable(exc)))
        return 1


def forked_batches(produce: Callable[[], Iterable[Batch]]) -> Iterator[Batch]:
    """Run ``produce()`` in a forked child; yield its batches here, raise its error here.

    Closing this generator early (limit, cancellation, a write error) kills the child.
    """
    receiver, sender = multiprocessing.Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # child: never returns into the caller's code, never runs its atexit handlers
        code = 1
        try:
            receiver.close()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            code = _child(produce, sender)
            sender.close()
        finally:
            os._exit(code)
    sender.close()
    try:
        while True:
            try:
                kind, value = receiver.recv()
            except EOFError:
                raise ImportFailed("the parsing process ended without a result (killed, or out of memory?)") from None
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        receiver.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)  # a no-op once it has exited; it is not reaped before waitpid
        os.waitpid(pid, 0)
