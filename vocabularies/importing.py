"""The import pipeline shared by every vocabulary: records -> rows -> hashed batches -> writes.

The parser runs in the calling thread; on PostgreSQL (outside an enclosing transaction)
the batches are written by a writer thread with its own connection, so parsing and
writing overlap, and reading, mapping and hashing run in forked processes
(``batches.forked_batches``), so they do not share one GIL with the writing: one, or
``VOCABULARIES_PARSERS`` that each parse their share of the dump when the reader can be
sharded (ROR, ORCID chunk files), or that parse the blocks one reading process hands
them in turn (``batches.fed_batches``: an ORCID .tar.gz).
Each batch is atomic, and its counters (created, updated, unchanged, deleted) are stored
in its transaction: when the source or the database fails half-way, the batches already
written stay (every record is then old or new, never half) and the run's counters say
exactly what they wrote; the rest is not written, and the run fails with the reader's message.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterable

from django.db import connection, connections, transaction

from jobs import current_run
from jobs.gcrelax import relaxed_gc
from vocabularies import conf
from vocabularies.batches import (  # noqa: F401 - row_hash re-exported
    Batch,
    Feed,
    fed_batches,
    forked_batches,
    prepared_batches,
    row_hash,
)
from vocabularies.upserts import (
    Stored,
    Target,
    batch_classify,
    batch_delete,
    batch_upsert,
    batch_upsert_serialized,
    stored_read,
)

logger = logging.getLogger(__name__)

# Counted with each batch's write, in its transaction; "skipped" (since) is counted as records are read.
WRITE_COUNTERS = ("created", "updated", "unchanged", "deleted")


class BatchWriter:
    """Write batches inline, or in a thread when a separate connection can commit them."""

    def __init__(self, target: Target, *, dry_run: bool, run):
        self.target = target
        self.dry_run = dry_run
        self.run = run
        self.stored: Stored | None = None  # set before the first write: the batches set unchanged rows apart
        self.updated: set[str] = set()  # with ``stored``: keys updated by this import
        self.counts: Counter = Counter()
        self.error: BaseException | None = None
        self.threaded = connection.vendor == "postgresql" and not connection.in_atomic_block and not dry_run
        if self.threaded:
            self.queue: queue.Queue = queue.Queue(maxsize=2)
            self.thread = threading.Thread(target=self._loop, name="vocabulary-writer", daemon=True)
            self.thread.start()

    def write(self, batch: Batch):
        if not self.threaded:
            self._write(batch)
            return
        if self.error is not None:
            raise self.error
        self.queue.put(batch)

    def _write(self, batch: Batch):
        rows, deletes, kept = batch.rows, batch.deletes, batch.kept
        if kept and self.updated:  # stored as they are when the import started, but updated since
            rows = rows + [row for row in kept if row[0] in self.updated]
        # The batch's counters commit with its rows: whatever stops the import, they equal what was written.
        with transaction.atomic():
            if self.dry_run:
                counts = batch_classify(target=self.target, rows=rows)
            elif rows and isinstance(rows[0], tuple):
                counts = batch_upsert_serialized(target=self.target, rows=rows, stored=self.stored, updated=self.updated)
            else:
                counts = batch_upsert(target=self.target, rows=rows)
            counts["unchanged"] += len(batch.rows) + len(kept) - len(rows)
            if deletes:
                counts["deleted"] += batch_delete(target=self.target, keys=deletes, dry_run=self.dry_run)
            self.run.count_committed({name: counts[name] for name in WRITE_COUNTERS})
        self.counts.update(counts)

    def _loop(self):
        try:
            while True:
                item = self.queue.get()
                if item is None:
                    return
                if self.error is None:
                    try:
                        self._write(item)
                    except BaseException as exc:  # noqa: BLE001 - handed over to the parsing thread, re-raised there
                        self.error = exc
        finally:
            connections.close_all()

    def close(self):
        if self.threaded:
            self.queue.put(None)
            self.thread.join()
            if self.error is not None:
                raise self.error


def vocabulary_import(
    *,
    target: Target,
    records: Iterable,
    mapper: Callable[[object], dict | None],
    since: dt.datetime | None = None,
    dry_run: bool = False,
    limit: int | None = None,
    batch_size: int | None = None,
    fork: bool | None = None,
    shards: Callable[[int, int], Iterable] | None = None,
    feed: Feed | None = None,
) -> dict:
    """Import ``records`` into ``target``; report counters and errored entries on the run.

    Records are read, mapped and hashed in a forked process while this one writes, unless
    ``fork`` is False or the setting ``VOCABULARIES_FORK`` is off; only where the writes go
    through a writer thread (PostgreSQL, outside a transaction, not a dry run) and
    ``os.fork`` exists. ``shards(index, count)``, when given, returns the records of one
    shard of the same dump (a reader's ``shard=(index, count)``): then ``VOCABULARIES_PARSERS``
    forked processes parse it together (in one process when there is a ``limit``). ``feed``,
    when given, is the same dump as blocks for ``VOCABULARIES_PARSERS`` forked parsers fed by
    one forked reading process.
    """
    with relaxed_gc():
        return _import(
            target=target, records=records, mapper=mapper, since=since, dry_run=dry_run, limit=limit,
            batch_size=batch_size, fork=fork, shards=shards, feed=feed,
        )


def _report(run, batch: Batch):
    for record_id, reason in batch.errors:
        logger.warning("record_invalid id=%s reason=%s", record_id, reason)
        run.add_error(record_id, reason)
    if batch.skipped:
        run.count("skipped", batch.skipped)
    if batch.progress is not None and batch.progress[0] is not None and batch.progress[0] >= (run.done or 0):
        run.progress(*batch.progress)  # (parsing processes of one dump report in turns: never backwards)


def parsers() -> int:
    """How many processes parse a sharded dump (``VOCABULARIES_PARSERS``, default: the cores, at most 4)."""
    return int(conf.get("VOCABULARIES_PARSERS") or min(os.cpu_count() or 1, 4))


def _import(*, target, records, mapper, since, dry_run, limit, batch_size, fork, shards, feed) -> dict:
    run = current_run()
    batch_size = batch_size or int(conf.get("VOCABULARIES_BATCH_SIZE"))
    writer = BatchWriter(target, dry_run=dry_run, run=run)
    fork = bool(conf.get("VOCABULARIES_FORK")) and fork is not False and writer.threaded and hasattr(os, "fork")
    options = {"target": target, "mapper": mapper, "since": since, "limit": limit, "batch_size": batch_size}
    if writer.threaded:
        # The hashes of every stored row, read once (a small table): the parsing side leaves out
        # unchanged rows, so a re-import sends and looks up nothing for them.
        writer.stored = stored_read(target=target, max_rows=int(conf.get("VOCABULARIES_STORED_MAX_ROWS")))
        if writer.stored is not None:
            options["stored"] = writer.stored.hashes
    read = skipped = 0
    batches = None
    try:
        if fork:
            def produce(source):
                return lambda: prepared_batches(records=source, serialized=True, **options)

            count = parsers() if (shards is not None or feed is not None) and limit is None else 1
            if count > 1 and feed is not None:
                batches = fed_batches(
                    feed=feed, count=count,
                    produce=lambda source: prepared_batches(records=source, serialized=True, **options),
                )
            else:
                sources = [shards(index, count) for index in range(count)] if count > 1 else [records]
                batches = forked_batches(*map(produce, sources))
        else:
            batches = prepared_batches(
                records=records, serialized=writer.stored is not None, tick=run.raise_if_cancelled, **options
            )
        for batch in batches:
            if fork:
                run.raise_if_cancelled()  # at most one query a second (RunHandle rate-limits it)
            _report(run, batch)
            read, skipped = read + batch.read, skipped + batch.skipped
            writer.write(batch)
    finally:
        if hasattr(batches, "close"):
            # Forked parsers end here, on any error too (a generator left to the garbage
            # collector lives as long as the traceback that holds this frame).
            batches.close()
        if hasattr(records, "close"):
            records.close()  # stop the reader (threads, files) now, not when garbage-collected
        writer.close()
    counts = writer.counts
    verb = "dry run (nothing written)" if dry_run else "imported"
    message = (
        f"{verb}: {read} records read, {counts['created']} created, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged, {skipped} skipped (since), {counts['deleted']} deleted, "
        f"{run.errored} errored"
    )
    # key=value like every log line, with the numbers of the run's counters and message.
    logger.info(
        "vocabulary_imported model=%s dry_run=%s read=%s created=%s updated=%s unchanged=%s skipped=%s deleted=%s "
        "errored=%s forked=%s",
        target.model.__name__, dry_run, read, counts["created"], counts["updated"], counts["unchanged"], skipped,
        counts["deleted"], run.errored, fork,
    )
    return {"message": message}
