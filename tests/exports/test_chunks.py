"""keyset_chunks: same chunks read ahead in a thread or inline; errors reach the caller."""

import contextlib
import threading

import pytest

from exports.chunks import keyset_chunks
from exports.models import Record
from tests.conftest import wait_for
from tests.exports.conftest import minimal_metadata


def _records(n):
    for i in range(n):
        Record(doi=f"10.82433/c{i}", metadata=minimal_metadata()).save()
    return Record.objects.order_by("pk").values_list("pk", "doi")


def _recording(threads):
    """A ``convert`` that notes, per row, the thread that fetched it."""

    def convert(row):
        threads[row[1]] = threading.current_thread()
        return (row[0], row[1].upper())

    return convert


@pytest.mark.django_db(transaction=True)
def test_read_ahead_in_a_thread_outside_transactions():
    rows = _records(5)
    threads = {}
    with contextlib.closing(keyset_chunks(rows, 2, convert=_recording(threads))) as chunks:
        first = next(chunks)
        # While the caller holds chunk 1, chunk 2 is fetched by the helper thread.
        wait_for(lambda: len(threads) == 4, timeout=10, message="the next chunk to be read ahead")
        rest = list(chunks)
    assert [len(c) for c in [first, *rest]] == [2, 2, 1]
    assert [doi for c in [first, *rest] for _, doi in c] == [f"10.82433/C{i}" for i in range(5)]
    fetchers = set(threads.values())
    assert len(threads) == 5 and len(fetchers) == 1
    [fetcher] = fetchers
    assert fetcher is not threading.current_thread() and fetcher.name.startswith("export-fetch")


@pytest.mark.django_db(transaction=True)
def test_error_while_reading_ahead_reaches_the_caller():
    rows = _records(3)

    def convert(row):
        if row[1].endswith("2"):
            raise ValueError("bad row")
        return row

    with pytest.raises(ValueError, match="bad row"):
        list(keyset_chunks(rows, 2, convert=convert))


@pytest.mark.django_db
def test_inside_a_transaction_chunks_are_read_inline():
    rows = _records(3)  # uncommitted: a second connection would not see them
    threads = {}
    assert [len(c) for c in keyset_chunks(rows, 2, convert=_recording(threads))] == [2, 1]
    assert set(threads.values()) == {threading.current_thread()}
