"""The import pipeline shared by every vocabulary: records -> rows -> hashed batches -> writes.

The parser runs in the calling thread; on PostgreSQL (outside an enclosing transaction)
the batches are written by a writer thread with its own connection, so parsing and
writing overlap on two cores. Each batch is atomic: when the source fails half-way,
the batches already written stay (every record is then old or new, never half), the
rest is not written, and the run fails with the reader's message.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import logging
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterable

import orjson
from django.db import connection, connections

from jobs import current_run
from vocabularies import conf
from vocabularies.exceptions import RecordInvalid
from vocabularies.readers.files import DELETE
from vocabularies.upserts import Target, batch_classify, batch_delete, batch_upsert

logger = logging.getLogger(__name__)

COUNTERS = ("created", "updated", "unchanged", "skipped", "deleted")


def row_hash(row: dict) -> str:
    return hashlib.md5(orjson.dumps(row, option=orjson.OPT_SORT_KEYS), usedforsecurity=False).hexdigest()


def _older_than(value, since: dt.datetime) -> bool:
    if value is None:
        return False
    if isinstance(value, dt.datetime):
        return value < since
    return value < since.astimezone(dt.UTC).date()


class BatchWriter:
    """Write batches inline, or in a thread when a separate connection can commit them."""

    def __init__(self, target: Target, *, dry_run: bool, run):
        self.target = target
        self.dry_run = dry_run
        self.run = run
        self.counts: Counter = Counter()
        self.error: BaseException | None = None
        self.threaded = connection.vendor == "postgresql" and not connection.in_atomic_block and not dry_run
        if self.threaded:
            self.queue: queue.Queue = queue.Queue(maxsize=2)
            self.thread = threading.Thread(target=self._loop, name="vocabulary-writer", daemon=True)
            self.thread.start()

    def write(self, rows: list[dict], deletes: list[str]):
        if not self.threaded:
            self._write(rows, deletes)
            return
        if self.error is not None:
            raise self.error
        self.queue.put((rows, deletes))

    def _write(self, rows, deletes):
        if self.dry_run:
            counts = batch_classify(target=self.target, rows=rows)
        else:
            counts = batch_upsert(target=self.target, rows=rows)
        if deletes:
            counts["deleted"] += batch_delete(target=self.target, keys=deletes, dry_run=self.dry_run)
        self.counts.update(counts)
        for name in COUNTERS:
            if counts.get(name):
                self.run.count(name, counts[name])

    def _loop(self):
        try:
            while True:
                item = self.queue.get()
                if item is None:
                    return
                if self.error is None:
                    try:
                        self._write(*item)
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


@contextlib.contextmanager
def relaxed_gc():
    """Run the cyclic GC rarely and never over the objects alive before (Django, modules).

    Parsed records are trees, freed by reference counting; with the default thresholds the
    collector keeps scanning everything that is alive and costs ~30% of an import's CPU.
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold[0], 50_000), threshold[1], threshold[2])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def vocabulary_import(
    *,
    target: Target,
    records: Iterable,
    mapper: Callable[[object], dict | None],
    since: dt.datetime | None = None,
    dry_run: bool = False,
    limit: int | None = None,
    batch_size: int | None = None,
) -> dict:
    """Import ``records`` into ``target``; report counters and errored entries on the run."""
    with relaxed_gc():
        return _import(
            target=target, records=records, mapper=mapper, since=since, dry_run=dry_run, limit=limit,
            batch_size=batch_size,
        )


def _import(*, target, records, mapper, since, dry_run, limit, batch_size) -> dict:
    run = current_run()
    batch_size = batch_size or int(conf.get("VOCABULARIES_BATCH_SIZE"))
    key = target.key
    max_lengths = list(target.max_lengths.items())
    writer = BatchWriter(target, dry_run=dry_run, run=run)
    batch: dict[str, dict] = {}
    deletes: list[str] = []
    read = skipped = 0
    try:
        for item in records:
            if limit is not None and read >= limit:
                break
            read += 1
            if read % 1000 == 0:
                run.raise_if_cancelled()  # at most one query a second (RunHandle rate-limits it)
            try:
                if isinstance(item, RecordInvalid):
                    raise item
                row = mapper(item)
            except RecordInvalid as exc:
                logger.warning("record_invalid id=%s reason=%s", exc.record_id, exc.reason)
                run.add_error(exc.record_id, exc.reason)
                continue
            if row is None:
                continue
            if row.pop(DELETE, False):
                batch.pop(row[key], None)
                deletes.append(row[key])
            elif since is not None and _older_than(row.get("last_modified"), since):
                skipped += 1
            else:
                for column, max_length in max_lengths:
                    value = row[column]
                    if value.__class__ is str and len(value) > max_length:
                        row[column] = value[:max_length]
                row["content_hash"] = row_hash(row)
                batch[row[key]] = row
            if len(batch) + len(deletes) >= batch_size:
                writer.write(list(batch.values()), deletes)
                batch, deletes = {}, []
        writer.write(list(batch.values()), deletes)
    finally:
        if hasattr(records, "close"):
            records.close()  # stop the reader (threads, files) now, not when garbage-collected
        if skipped:
            run.count("skipped", skipped)
        writer.close()
    counts = writer.counts
    verb = "dry run (nothing written)" if dry_run else "imported"
    message = (
        f"{verb}: {read} records read, {counts['created']} created, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged, {skipped} skipped (since), {counts['deleted']} deleted, "
        f"{run.errored} errored"
    )
    logger.info("vocabulary_imported model=%s read=%s %s", target.model.__name__, read, dict(counts))
    return {"message": message}
