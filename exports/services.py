"""Writes of the exports app: records, export archives and their files."""

from __future__ import annotations

import datetime as dt
import logging
import tempfile

import orjson
from django.core.files.storage import default_storage
from django.db import DatabaseError
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from exports import conf, serializers
from exports.archive import PART_DIR, TEMP_PREFIX, ArchiveWriter, member_name
from exports.chunks import keyset_chunks
from exports.links import links_for
from exports.models import ExportFile, Record, record_native
from jobs import current_run
from jobs.gcrelax import relaxed_gc

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1000
# Serializers raise these on metadata they cannot write (e.g. text XML cannot carry).
SERIALIZE_ERRORS = (ValueError, TypeError, KeyError, AttributeError)


def record_save(*, doi: str, metadata: dict, deleted: bool = False) -> Record:
    """Create or update the record ``doi`` (metadata validated; raises django ValidationError)."""
    record = Record.objects.filter(doi=doi.strip().lower()).first() or Record(doi=doi)
    record.metadata = metadata
    record.deleted = deleted
    record.save()
    return record


def record_delete(*, record: Record) -> Record:
    """Turn a record into a tombstone (kept, flagged deleted, listed by exports that ask).

    Only the flag and ``updated`` change, so even a record whose stored metadata no
    longer validates can be withdrawn.
    """
    now = timezone.now()
    Record.objects.filter(pk=record.pk).update(deleted=True, updated=now)
    record.deleted, record.updated = True, now
    return record


def _parse_time(value):
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(value)


def records_selected(*, since=None, until=None, include_deleted: bool = False):
    """The records an export of ``[since, until)`` holds (tombstones only with ``include_deleted``)."""
    selected = Record.objects.changed_between(_parse_time(since), _parse_time(until))
    return selected if include_deleted else selected.filter(deleted=False)


def export_arguments(*, serializer, since, until, include_deleted) -> dict:
    """The arguments an export file and its manifest record."""
    since, until = _parse_time(since), _parse_time(until)
    return {
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "serializer": serializer,
        "include_deleted": include_deleted,
    }


def records_export(
    *,
    serializer: str = "datacite-xml",
    since=None,
    until=None,
    include_deleted: bool = False,
    publish_empty: bool = False,
    chunk_size: int = CHUNK_SIZE,
) -> ExportFile | None:
    """Stream the records updated in ``[since, until)`` into a published .tar.gz and record it.

    Records that fail to serialize are reported to the run as errored entries and left
    out; the archive holds all the others. Nothing is published when the export stops
    early (error or cancel), nor when it holds no record and no deleted DOI, unless
    ``publish_empty``: then None is returned.
    """
    module = serializers.get(serializer)
    run = current_run()
    started = timezone.now()
    arguments = export_arguments(serializer=serializer, since=since, until=until, include_deleted=include_deleted)
    selected = records_selected(since=since, until=until, include_deleted=include_deleted)
    archive = ArchiveWriter()
    deleted_list = tempfile.TemporaryFile(prefix="jobsite-deleted-")
    try:
        counts = records_write(selected, module=module, archive=archive, deleted_list=deleted_list,
                               chunk_size=chunk_size)
        if not (counts["exported"] or counts["deleted"] or publish_empty):
            logger.info("export_empty serializer=%s since=%s until=%s errored=%s", serializer, since, until, counts["errored"])
            return None
        deleted_list.seek(0)
        size, sha256, name = archive_complete(
            archive, module=module, arguments=arguments, counts=counts, started=started, run_id=run.run_id,
            deleted_list=deleted_list if include_deleted else None,
        )
    finally:
        archive.close()
        deleted_list.close()
    return exportfile_record(name=name, run_id=run.run_id, size=size, sha256=sha256, counts=counts, arguments=arguments)


def records_write(selected, *, module, archive: ArchiveWriter, deleted_list, chunk_size: int = CHUNK_SIZE) -> dict:
    """Write the ``selected`` records into ``archive`` and their deleted DOIs into ``deleted_list``; return the counts.

    The run's progress and counters follow; a record that fails to serialize is the
    run's errored entry. Stops (``RunCancelled``) when the run is cancelled.
    """
    run = current_run()
    total = selected.count()
    run.progress(0, total)
    counts = {"exported": 0, "deleted": 0, "errored": 0}
    done = 0
    with relaxed_gc():  # each record's metadata is a tree of dicts freed by reference counting: ~9% of the CPU
        for chunk in _chunks(selected, chunk_size):
            run.raise_if_cancelled()
            written = _chunk_write(chunk, module=module, archive=archive, deleted_list=deleted_list, run=run)
            done += len(chunk)
            run.progress(done, total)
            for name in ("exported", "deleted"):
                run.count(name, written[name])
            counts = {name: counts[name] + written[name] for name in counts}
    run.raise_if_cancelled()
    return counts


def _chunk_write(chunk, *, module, archive: ArchiveWriter, deleted_list, run) -> dict:
    """Write one chunk's records (or their deleted DOIs); return its counts."""
    counts = {"exported": 0, "deleted": 0, "errored": 0}
    links = links_for(row[2] for row in chunk if not row[5])
    for _pk, doi, metadata, created, updated, deleted in chunk:
        if deleted:
            deleted_list.write(doi.encode() + b"\n")
            counts["deleted"] += 1
            continue
        try:
            data = module.serialize(record_native(doi, links.apply(metadata), created, updated, deleted))
        except SERIALIZE_ERRORS as exc:
            counts["errored"] += 1
            run.add_error(doi, f"{type(exc).__name__}: {exc}")
            continue
        archive.add(member_name(doi, module.EXTENSION), data, updated.timestamp())
        counts["exported"] += 1
    return counts


def archive_complete(archive: ArchiveWriter, *, module, arguments: dict, counts: dict, started, run_id,
                     deleted_list=None) -> tuple[int, str, str]:
    """Add ``deleted.txt`` (when given, from its position to its end) and the manifest, close, publish.

    Return (size, sha256, stored name).
    """
    finished = timezone.now()
    if deleted_list is not None:
        start = deleted_list.tell()
        size = deleted_list.seek(0, 2) - start
        deleted_list.seek(start)
        archive.add_file("deleted.txt", deleted_list, size, finished.timestamp())
    manifest = {
        "run_id": run_id,
        "serializer": arguments["serializer"],
        "format": module.MEDIA_TYPE,
        "arguments": arguments,
        "counts": counts,
        "started": started.isoformat(),
        "finished": finished.isoformat(),
        "members": {"records": "records/<url-quoted DOI>." + module.EXTENSION,
                    "deleted": "deleted.txt" if deleted_list is not None else None},
    }
    archive.add("manifest.json", orjson.dumps(manifest, option=orjson.OPT_INDENT_2), finished.timestamp())
    size, sha256 = archive.finish()
    serializer = arguments["serializer"]
    name = archive.publish(f"exports/records-{serializer}-{run_id or 'adhoc'}-{finished:%Y%m%dT%H%M%SZ}.tar.gz")
    return size, sha256, name


def exportfile_record(*, name: str, run_id, size: int, sha256: str, counts: dict, arguments: dict) -> ExportFile:
    """The row of a published archive (the file is removed if the row cannot be written)."""
    try:
        export_file = ExportFile.objects.create(
            run_id=run_id,
            name=name,
            serializer=arguments["serializer"],
            size=size,
            record_count=counts["exported"],
            deleted_count=counts["deleted"],
            errored_count=counts["errored"],
            sha256=sha256,
            arguments=arguments,
        )
    except DatabaseError:
        _delete_quietly(default_storage, name)  # a file no row points to could never be found or purged
        raise
    logger.info(
        "export_published name=%s records=%s deleted=%s errored=%s size=%s",
        name, counts["exported"], counts["deleted"], counts["errored"], size,
    )
    return export_file


def _chunks(queryset, chunk_size):
    """Yield lists of (pk, doi, metadata, created, updated, deleted), the next chunk read ahead.

    Metadata is fetched as JSON text and parsed with orjson (about 3x faster than the
    stdlib decoder JSONField would use).
    """
    rows = (
        queryset.order_by("pk")
        .annotate(metadata_text=Cast("metadata", output_field=TextField()))
        .values_list("pk", "doi", "metadata_text", "created", "updated", "deleted")
    )
    return keyset_chunks(rows, chunk_size, convert=_parse_row)


def _parse_row(row):
    pk, doi, text, created, updated, deleted = row
    return pk, doi, orjson.loads(text), created, updated, deleted


def exportfile_delete(*, export_file: ExportFile, storage=None):
    """Delete an export file's stored archive and its row."""
    # File first: a row whose file is gone is harmless (download says 404, a purge removes
    # it); a file without its row could never be found again.
    _delete_quietly(storage or default_storage, export_file.name)
    export_file.delete()


def exportfiles_purge(*, keep_last: int | None = None, storage=None) -> int:
    """Delete all but the newest ``keep_last`` export files (file and row together); return how many.

    The newest export that holds anything (a record or a deleted DOI) is always kept,
    however many empty ones (``publish_empty``) came after it.
    """
    storage = storage or default_storage
    keep = conf.keep_last() if keep_last is None else keep_last
    newest_full = (
        ExportFile.objects.filter(Q(record_count__gt=0) | Q(deleted_count__gt=0))
        .order_by("-created_at", "-id").values_list("pk", flat=True).first()
    )
    old = [ef for ef in ExportFile.objects.order_by("-created_at", "-id")[keep:] if ef.pk != newest_full]
    for export_file in old:
        exportfile_delete(export_file=export_file, storage=storage)
    _temp_files_purge(storage)
    if old:
        logger.info("exportfiles_purged count=%s keep_last=%s", len(old), keep)
    return len(old)


def _delete_quietly(storage, name):
    if storage.exists(name):
        storage.delete(name)


def _temp_files_purge(storage, max_age=dt.timedelta(days=1)):
    """Remove temporary archives and export parts left by a killed worker (normal runs clean their own)."""
    cutoff = timezone.now() - max_age
    folder = TEMP_PREFIX.rstrip("/")
    if storage.exists(folder):
        _old_files_delete(storage, folder, cutoff)
    folder = PART_DIR.rstrip("/")
    if storage.exists(folder):
        for run_folder in storage.listdir(folder)[0]:
            _old_files_delete(storage, f"{folder}/{run_folder}", cutoff)


def _old_files_delete(storage, folder, cutoff):
    for filename in storage.listdir(folder)[1]:
        name = f"{folder}/{filename}"
        if storage.get_modified_time(name) < cutoff:
            storage.delete(name)
