"""Records -> batches of rows ready to write (mapped, cut, hashed), in this process or forked ones.

``prepared_batches`` is the one place where a record becomes a row: the mapper, the
``since`` filter, cutting over-long values, the content hash, duplicates within a batch
(the last one wins), deletions and errored records. ``forked_batches`` runs it in forked
children and hands their batches over pipes, so that parsing and mapping (children) and
writing (this process and its writer thread) use every core instead of sharing one GIL.
Several children each parse their own groups of a dump (a reader's ``shard``) and their
batches are taken in the dump's order. The children touch no database and no logging:
errors, skipped counts and progress travel with the batches and are reported by the parent.
A dump that only one process can read (a .tar.gz) is read by one forked process and
parsed by several (``fed_batches``): the reader hands them blocks in turn.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import multiprocessing
import operator
import os
import pickle
import signal
import threading
import traceback
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field

import orjson

from jobs import current_run
from jobs.lifeline import die_with_parent
from vocabularies.exceptions import ImportFailed, RecordInvalid
from vocabularies.readers.files import DELETE, SHARD_BREAK


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
    read: int = 0  # records read for this batch
    # rows whose hash was stored when the import started (``stored``): not written unless their
    # key was updated since by this import (a dump that holds a key twice)
    kept: list = field(default_factory=list)
    progress: tuple[int | None, int | None] | None = None
    group_end: bool = False  # the last batch of one of a sharded reader's groups


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
    stored: Container[str] = (),
) -> Iterator[Batch]:
    """Yield batches of at most ``batch_size`` rows + deletes; the last one may be empty.

    ``serialized`` rows are ``(key, hash, orjson bytes)``: the bytes hashed are the row
    itself, so the writer decodes only the rows whose hash changed. ``tick`` is called
    every 1,000 records (cancellation checks). A ``SHARD_BREAK`` from a sharded reader ends
    the batch, marked ``group_end``. Rows whose hash is in ``stored`` (the hashes of the
    stored rows) go to the batch's ``kept`` instead of its ``rows``.
    """
    key = target.key
    max_lengths = list(target.max_lengths.items())
    maxima = tuple(target.max_lengths.values())
    # One C-level pass over the bounded values finds the (rare) rows that need cutting.
    bounded = operator.itemgetter(*target.max_lengths) if len(maxima) > 1 else None
    sort_keys = orjson.OPT_SORT_KEYS
    md5 = hashlib.md5
    rows: dict[str, tuple[object, bool]] = {}  # key -> (row, whether its hash is in ``stored``)
    batch = Batch()
    read = start = 0

    def filled() -> Batch:
        batch.rows = [row for row, kept in rows.values() if not kept]
        batch.kept = [row for row, kept in rows.values() if kept]
        batch.read = read - start
        return batch

    for item in records:
        if item is SHARD_BREAK:
            batch.group_end = True
            yield filled()
            rows, batch, start = {}, Batch(), read
            continue
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
            try:
                fits = bounded is not None and not any(map(operator.gt, map(len, bounded(row)), maxima))
            except TypeError:  # a value without a length (None)
                fits = False
            if not fits:
                for column, max_length in max_lengths:
                    value = row[column]
                    if value.__class__ is str and len(value) > max_length:
                        row[column] = value[:max_length]
            payload = orjson.dumps(row, option=sort_keys)
            digest = md5(payload, usedforsecurity=False).hexdigest()
            if serialized:
                rows[row[key]] = ((row[key], digest, payload), digest in stored)
            else:
                row["content_hash"] = digest
                rows[row[key]] = (row, False)
        if len(rows) + len(batch.deletes) >= batch_size or len(batch.errors) >= batch_size:
            yield filled()
            rows, batch, start = {}, Batch(), read
    yield filled()


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


def _fork(produce: Callable[[], Iterable[Batch]], inherited: list) -> tuple[int, object]:
    receiver, sender = multiprocessing.Pipe(duplex=False)
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # child: never returns into the caller's code, never runs its atexit handlers
        code = 1
        try:
            die_with_parent(parent)  # a killed worker takes its parsers with it
            receiver.close()
            for other in inherited:  # the pipes of the children forked before this one
                other.close()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            code = _child(produce, sender)
            sender.close()
        finally:
            os._exit(code)
    sender.close()
    return pid, receiver


def forked_batches(*produces: Callable[[], Iterable[Batch]]) -> Iterator[Batch]:
    """Run each ``produce()`` in a forked child; yield their batches here, raise their error here.

    With several children, each produces its own groups of the records (a sharded reader:
    child i reads groups i, i + n, i + 2n ...): batches are taken from one child until
    one ends a group (``group_end``), then from the next, so they come in the dump's
    order; the child whose turn it is ending ends the whole. Closing this generator early
    (limit, cancellation, a write error) kills the children.
    """
    children: list[tuple[int, object]] = []
    try:
        for produce in produces:
            children.append(_fork(produce, [receiver for _, receiver in children]))
        yield from _merged(children)
    finally:
        _reap(children)


def _receive(receiver, sender: str):
    """The next value sent over ``receiver``, None at the end; an error of the sending process is raised here."""
    try:
        kind, value = receiver.recv()
    except EOFError:
        raise ImportFailed(f"the {sender} process ended without a result (killed, or out of memory?)") from None
    if kind == "error":
        raise value
    return None if kind == "end" else value


def _merged(children: list[tuple[int, object]]) -> Iterator[Batch]:
    turn = 0
    while (value := _receive(children[turn][1], "parsing")) is not None:
        if value.group_end:
            turn = (turn + 1) % len(children)
        yield value


def _reap(children: list[tuple[int, object]]):
    for pid, receiver in children:
        receiver.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)  # a no-op once it has exited; it is not reaped before waitpid
    for pid, _ in children:
        os.waitpid(pid, 0)


@dataclass(frozen=True)
class Feed:
    """A dump read by one process and parsed by several: ``blocks()`` yields ``(block, progress)``
    in the dump's order, ``parse(block)`` the records of one block (in a parsing process)."""

    blocks: Callable[[], Iterable[tuple[object, tuple[int | None, int | None] | None]]]
    parse: Callable[[object], Iterable]


def _feeder(feed: Feed, senders: list) -> int:
    """In the reading process: send block k to parser k % n; an error goes, in its turn, to the next one."""
    turn = 0
    try:
        for block in feed.blocks():
            senders[turn].send(("block", block))
            turn = (turn + 1) % len(senders)
        return 0
    except BaseException as exc:  # noqa: BLE001 - handed to the parser whose turn it is, raised in the parent
        with contextlib.suppress(BaseException):
            senders[turn].send(("error", _portable(exc)))
        return 1
    finally:
        for sender in senders:
            with contextlib.suppress(BaseException):
                sender.send(("end", None))
            sender.close()


def _fed_records(receiver, parse: Callable[[object], Iterable]) -> Iterator:
    """In a parsing process: the records of the blocks it receives, ``SHARD_BREAK`` after each block."""
    run = current_run()
    while (value := _receive(receiver, "reading")) is not None:
        block, progress = value
        yield from parse(block)
        if progress is not None:
            run.progress(*progress)
        yield SHARD_BREAK


def fed_batches(*, feed: Feed, count: int, produce: Callable[[Iterable], Iterable[Batch]]) -> Iterator[Batch]:
    """Read a dump in one forked process, parse its blocks in ``count`` others, yield their batches in order.

    For a dump that cannot be split without reading it (a .tar.gz): the reading process
    hands block k to parsing process k % count, each turns its blocks into batches
    (``produce(records)``, a group ends with each block) and they are taken in the
    dump's order as ``forked_batches`` does. An error of the reader is raised in its turn,
    after the batches of the blocks before it.
    """
    pipes = [multiprocessing.Pipe(duplex=False) for _ in range(count)]
    receivers = [receiver for receiver, _ in pipes]
    feeder = None
    children: list[tuple[int, object]] = []
    parent = os.getpid()
    try:
        feeder = os.fork()
        if feeder == 0:  # the reading process: never returns into the caller's code
            code = 1
            try:
                die_with_parent(parent)
                for receiver in receivers:
                    receiver.close()
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                code = _feeder(feed, [sender for _, sender in pipes])
            finally:
                os._exit(code)
        for _, sender in pipes:
            sender.close()
        for receiver in receivers:
            others = [r for r in receivers if r is not receiver] + [r for _, r in children]
            children.append(_fork(lambda receiver=receiver: produce(_fed_records(receiver, feed.parse)), others))
        for receiver in receivers:
            receiver.close()
        yield from _merged(children)
    finally:
        for receiver in receivers:
            receiver.close()
        _reap(children)
        if feeder:
            with contextlib.suppress(ProcessLookupError):
                os.kill(feeder, signal.SIGKILL)
            os.waitpid(feeder, 0)
