"""An ORCID summaries dump over several processes and several workers.

Within one run, ``orcid_feed`` lets one forked process read the .tar.gz (the only
sequential part: gzip) and hand blocks of whole tar members (``readers.orcidtar``) to
``VOCABULARIES_PARSERS`` forked parsers (``batches.fed_batches``). Over workers, ``orcid_fan_out`` streams the dump once,
cuts it into chunk files of ``chunk_records`` records in storage (``vocabularies.chunks``,
frames of ``readers.orcidframes``) and spawns one subtask per chunk; ``orcid_chunk_import``
(the subtask) imports its chunk, parsed by forked parsers that share it by groups, and
deletes it whether it succeeds or fails. The chunks that no subtask could delete (a lost
worker, a cancel) are removed when the run ends with no retry to follow
(``OrcidNames.chain_ended``), or by the next attempt before it cuts the dump again.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
from pathlib import Path

from jobs import current_run
from jobs.models import Run
from jobs.runs.ending import run_end
from jobs.runs.retries import attempt_ids
from vocabularies import targets
from vocabularies.batches import Feed
from vocabularies.chunks import CHUNK_DIR, chunk_delete, chunk_local, chunk_save, chunk_storage
from vocabularies.exceptions import ImportFailed
from vocabularies.importing import vocabulary_import
from vocabularies.readers.orcid import block_records, name_row, orcid_members, orcid_parsed, record_limit
from vocabularies.readers.orcidframes import ChunkStream, chunk_items
from vocabularies.readers.orcidtar import tar_blocks

logger = logging.getLogger(__name__)
# Blocks handed to a forked parser: each ends a batch, so not too small; each is held in memory.
BLOCK_RECORDS = 500
BLOCK_BYTES = 16 * 1024 * 1024
CHUNK_TASK = "vocabularies.orcid_chunk_import"


def orcid_feed(path: Path, *, max_member_bytes: int | None) -> Feed:
    """The .tar.gz at ``path`` as blocks of whole tar members for forked parsers (``readers.orcidtar``)."""

    def produce():
        progress = [None]
        for block in tar_blocks(path, progress=lambda done, total: progress.__setitem__(0, (done, total)),
                                limit=record_limit(max_member_bytes), records=BLOCK_RECORDS, max_bytes=BLOCK_BYTES):
            yield block, progress[0]
        yield [], progress[0]  # the final progress (the whole file)

    return Feed(blocks=produce, parse=functools.partial(block_records, name=path.name, max_member_bytes=max_member_bytes))


def fan_out_wanted(path: Path, *, chunk_records: int, max_member_bytes: int | None) -> bool:
    """True when the .tar.gz holds more than one chunk's worth of records (reads at most that far).

    A dump that cannot be read says False: the single-run path reports it as it always has.
    """
    count = 0
    try:
        for _ in orcid_members(path, max_member_bytes=max_member_bytes):
            count += 1
            if count > chunk_records:
                return True
    except ImportFailed:
        return False
    return False


def chunks_left_delete(run_ids: list) -> None:
    """Remove the chunks that subtasks of these runs left: cancelled ones, and ones whose worker was lost.

    A chunk subtask that ends by itself removes its chunk; one the reaper failed (its worker
    killed) or that was cancelled before it started cannot. A chunk already gone is no error.
    """
    names = Run.objects.filter(
        parent_id__in=run_ids, status__in=[Run.Status.FAILED, Run.Status.CANCELLED], task_name=CHUNK_TASK,
    ).values_list("args__chunk", flat=True)
    for name in names:
        if isinstance(name, str) and name.startswith(CHUNK_DIR):
            chunk_delete(name)


def _chunk_prefix(root, path: Path, since, dry_run) -> str:
    """Chunk names that a retry of the same run on the same file gives again (so succeeded chunks are reused)."""
    stat = path.stat()
    digest = hashlib.sha256(f"{root}|{path.name}|{stat.st_size}|{since}|{dry_run}".encode()).hexdigest()[:16]
    return f"{CHUNK_DIR}orcid-{digest}"


def orcid_fan_out(*, path: Path, since: dt.datetime | None, dry_run: bool, chunk_records: int, chunk_task,
                  max_member_bytes: int | None) -> dict:
    """Cut the .tar.gz into chunk files in storage and spawn ``chunk_task`` for each (this run's subtasks)."""
    run = current_run()
    attempts = attempt_ids(run.run_id) if run.run_id is not None else [None]
    chunks_left_delete(attempts[1:])  # so that this attempt's chunks get the same names again
    prefix = _chunk_prefix(attempts[-1], path, since, dry_run)
    items = orcid_members(path, progress=run.progress, max_member_bytes=max_member_bytes)
    spawned: list[tuple[Run, str]] = []
    first = 1
    try:
        while True:
            run.raise_if_cancelled()
            stream = ChunkStream(items, chunk_records)
            name = chunk_save(f"{prefix}-{len(spawned):05d}.chunk", stream)
            if stream.count == 0:
                chunk_delete(name)
                break
            last = first + stream.count - 1
            arguments = {"chunk": name, "since": since.isoformat() if since else None, "dry_run": dry_run}
            try:
                child = run.spawn(chunk_task, arguments, title=f"records {first}–{last}")
            except BaseException:
                chunk_delete(name)
                raise
            spawned.append((child, name))
            if _reused(child):  # done by an earlier attempt: its subtask will not read it
                chunk_delete(name)
            logger.info("orcid_chunk_spawned chunk=%s first=%s last=%s", name, first, last)
            first = last + 1
            if stream.count < chunk_records:
                break
    except BaseException:
        _abandon(spawned)
        raise
    finally:
        items.close()
    run.close_spawning()
    return {"message": f"{first - 1} records cut into {len(spawned)} chunks of up to {chunk_records} (subtasks)"}


def _reused(child) -> bool:
    pk = getattr(child, "pk", None)
    return pk is not None and Run.objects.filter(pk=pk, status=Run.Status.SUCCESS, started_at__isnull=True).exists()


def _abandon(spawned: list[tuple[Run, str]]) -> None:
    """The dump broke or the run was cancelled while cutting: the chunks no subtask has started are removed."""
    for child, name in spawned:
        if getattr(child, "pk", None) is None:
            continue
        if run_end(run_id=child.pk, from_statuses=[Run.Status.QUEUED], to_status=Run.Status.CANCELLED,
                   parent_id=child.parent_id, message="cancelled: the parent run stopped before this chunk started"):
            chunk_delete(name)


def orcid_chunk_import(*, chunk: str, since: dt.datetime | None, dry_run: bool) -> dict:
    """Import one chunk file (a subtask of ``orcid_fan_out``), then delete it, whether it succeeded or not."""
    run = current_run()
    try:
        if not chunk.startswith(CHUNK_DIR) or not chunk_storage().exists(chunk):
            raise ImportFailed(f"chunk {chunk!r} is not in the chunk storage (already imported, or removed)")
        with chunk_local(chunk) as path:
            return vocabulary_import(
                target=targets.NAMES, records=orcid_parsed(chunk_items(path, progress=run.progress)), mapper=name_row,
                since=since, dry_run=dry_run,
                shards=lambda index, count: orcid_parsed(chunk_items(path, progress=run.progress, shard=(index, count))),
            )
    finally:
        if chunk.startswith(CHUNK_DIR):
            chunk_delete(chunk)
