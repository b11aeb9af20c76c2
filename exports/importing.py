"""Import records from DataCite XML/JSON: the service behind the ``import_records`` job.

Documents come from ``exports.sources`` (a file, a folder, a ``.tar.gz`` or the REST
API), are loaded by ``exports.loaders`` and written in batches: each record is
validated by the model's own ``clean`` (the schema every save uses), compared with the
stored one, and created, updated or counted unchanged; one SELECT and at most one
bulk INSERT and one bulk UPDATE a batch, each batch in its own transaction with its
tombstones and the run's counters of it (an interrupted import counts what it wrote). A record
that cannot be loaded or validated is an errored entry of the run (its DOI, or the
document's name, with every field's message) and nothing of it is written.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from exports.loaders import Loaded, LoadError, datacite_json, document_load
from exports.models import Record
from exports.schema import doi_normalize
from exports.sources import DELETED_LIST, Source, api_pages, local_documents, source_check
from jobs import current_run

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
COUNTERS = ("created", "updated", "unchanged", "errored")
_COLUMNS = ["metadata", "deleted", "title", "publication_year", "resource_type_general", "updated"]


class _Batch:
    """Loaded records waiting to be written, and DOIs to tombstone (an export's deleted.txt)."""

    def __init__(self):
        self.records: dict[str, Record] = {}
        self.tombstones: set[str] = set()

    def __len__(self):
        return len(self.records) + len(self.tombstones)


def _record_build(loaded: Loaded, origin: str, run) -> Record | None:
    """A validated, unsaved Record, or None after reporting the errored entry."""
    record = Record(doi=loaded.doi, metadata=loaded.metadata, deleted=loaded.deleted)
    messages = list(loaded.problems)
    try:
        record.clean()
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            messages.extend(e if field == "metadata" else f"{field}: {e}" for e in errors)
    if messages:
        run.add_error(doi_normalize(loaded.doi) or origin, "; ".join(messages))
        return None
    return record


def _write(batch: _Batch, *, dry_run: bool, counts: Counter):
    """Create, update or leave the batch's records; tombstone its deleted DOIs."""
    existing = {
        doi: (pk, metadata, deleted)
        for pk, doi, metadata, deleted in Record.objects.filter(doi__in=list(batch.records)).values_list("pk", "doi", "metadata", "deleted")
    }
    now = timezone.now()
    new, changed = [], []
    for doi, record in batch.records.items():
        stored = existing.get(doi)
        if stored is None:
            record.created = record.updated = now
            new.append(record)
        elif stored[1] == record.metadata and stored[2] == record.deleted:
            counts["unchanged"] += 1
        else:
            record.pk, record.updated = stored[0], now
            changed.append(record)
    counts["created"] += len(new)
    counts["updated"] += len(changed)
    if batch.tombstones:
        live = Record.objects.filter(doi__in=list(batch.tombstones), deleted=False)
        counts["deleted"] += live.count() if dry_run else live.update(deleted=True, updated=now)
    if dry_run:
        return
    Record.objects.bulk_create(new)
    Record.objects.bulk_update(changed, _COLUMNS)


def _loaded_stream(source: Source, run) -> Iterator[tuple[str, Loaded | None, str]]:
    """Yield (document name, loaded record or None, deleted.txt text) for every record of ``source``."""
    if source.kind == "api":
        for page, total in api_pages(source.location):
            for item in page.get("data") or ():
                try:
                    yield source.location, datacite_json.parse({"data": item})[0], ""
                except LoadError as exc:
                    run.add_error((item or {}).get("id") or source.location, str(exc))
            if total is not None:
                run.progress(run.counters.get("read", 0), total)
        return
    for name, data in local_documents(source, progress=run.progress if source.kind != "file" else None):
        if name.rsplit("/", 1)[-1] == DELETED_LIST:
            yield name, None, data.decode("utf-8", "replace")
            continue
        try:
            loaded_list = document_load(name, data)
        except LoadError as exc:
            run.add_error(name, str(exc))
            continue
        for loaded in loaded_list:
            yield name, loaded, ""


def records_import(*, source: str, dry_run: bool = False, batch_size: int = BATCH_SIZE) -> dict:
    """Import every record of ``source``; return the counts (``created``, ``updated``, ``unchanged``, ``errored``, ...)."""
    run = current_run()
    checked = source_check(source)
    logger.info("records_import_started source=%s kind=%s dry_run=%s", source, checked.kind, dry_run)
    counts: Counter = Counter({name: 0 for name in COUNTERS})
    batch = _Batch()

    def flush():
        before = counts.copy()
        # The batch's counters commit with its rows: after any interruption they equal what was written.
        with transaction.atomic():
            _write(batch, dry_run=dry_run, counts=counts)
            run.count_committed({name: counts[name] - before[name] for name in ("created", "updated", "unchanged", "deleted")})
        batch.records.clear()
        batch.tombstones.clear()

    for name, loaded, deleted_text in _loaded_stream(checked, run):
        run.raise_if_cancelled()
        if loaded is None:
            batch.tombstones.update(doi_normalize(line) for line in deleted_text.splitlines() if line.strip())
        else:
            run.count("read")
            record = _record_build(loaded, name, run)
            if record is not None:
                batch.records[record.doi] = record  # a DOI twice in one batch: the later one wins
        if len(batch) >= batch_size:
            flush()
    flush()
    counts["errored"] = run.errored
    result = {name: counts[name] for name in (*COUNTERS, "deleted") if name in COUNTERS or counts[name]}
    logger.info(
        "records_imported source=%s dry_run=%s created=%s updated=%s unchanged=%s errored=%s",
        source, dry_run, counts["created"], counts["updated"], counts["unchanged"], counts["errored"],
    )
    return result


def records_summary(counts: dict, *, dry_run: bool) -> str:
    """One line for the run's message: ``3 created, 1 updated, 0 unchanged, 2 errored``."""
    text = ", ".join(f"{counts.get(name, 0):,} {name}" for name in (*COUNTERS, "deleted") if name in COUNTERS or counts.get(name))
    return f"dry run, nothing written: {text}" if dry_run else text
