"""Read rows in chunks by keyset pagination, fetching the next chunk while the caller works.

psycopg2 releases the GIL while PostgreSQL answers, so fetching chunk n+1 in a helper
thread overlaps with serializing chunk n; one chunk is read ahead (bounded memory).
The helper thread has its own connection and cannot see rows of the caller's
uncommitted transaction, so inside an atomic block chunks are read in the calling thread.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from django.db import connection, connections


def _fetch(rows, last, size: int, convert) -> list:
    """The next ``size`` rows after ``last``: their keys first (keys only), then the rows up to the last key.

    In one query, ``pk > last ... ORDER BY pk LIMIT size``, a planner that misjudges the
    other filters (an export's ``updated`` bound and a part's pk range, correlated columns)
    may pick a bitmap scan and sort every remaining row of the range, wide values included,
    before the limit: each chunk then cost a sort of the rest (quadratic; 0.27 s a chunk for
    13,000 rows left in an export part). Reading keys first bounds that sort to keys.
    """
    keys = list(rows.filter(pk__gt=last).values_list("pk", flat=True)[:size])
    if not keys:
        return []
    chunk = rows.filter(pk__gt=last, pk__lte=keys[-1])
    return [convert(row) for row in chunk] if convert else list(chunk)


def keyset_chunks(rows, size: int, *, convert=None):
    """Yield lists of ``rows`` (a values_list ordered by pk, pk first), ``size`` at a time."""
    if connection.in_atomic_block:
        last = 0
        while chunk := _fetch(rows, last, size, convert):
            yield chunk
            last = chunk[-1][0]
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-fetch") as pool:
        try:
            pending = pool.submit(_fetch, rows, 0, size, convert)
            while chunk := pending.result():
                pending = pool.submit(_fetch, rows, chunk[-1][0], size, convert)
                yield chunk
        finally:
            pool.submit(connections.close_all).result()
