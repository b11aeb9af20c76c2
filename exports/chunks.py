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
    chunk = rows.filter(pk__gt=last)[:size]
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
