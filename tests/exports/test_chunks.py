"""keyset_chunks: same chunks read ahead in a thread or inline; errors reach the caller."""

import pytest

from exports.chunks import keyset_chunks
from exports.models import Record
from tests.exports.conftest import minimal_metadata


def _records(n):
    for i in range(n):
        Record(doi=f"10.82433/c{i}", metadata=minimal_metadata()).save()
    return Record.objects.order_by("pk").values_list("pk", "doi")


@pytest.mark.django_db(transaction=True)
def test_read_ahead_in_a_thread_outside_transactions():
    rows = _records(5)
    chunks = list(keyset_chunks(rows, 2, convert=lambda row: (row[0], row[1].upper())))
    assert [len(c) for c in chunks] == [2, 2, 1]
    assert [doi for c in chunks for _, doi in c] == [f"10.82433/C{i}" for i in range(5)]


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
    assert [len(c) for c in keyset_chunks(rows, 2)] == [2, 1]
