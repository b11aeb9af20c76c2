"""The import pipeline: cancellation, duplicates within a batch, limit, since on dates, counters with their batch."""

import datetime as dt

import pytest
from django.db import InterfaceError, OperationalError, connection

from jobs.exceptions import RunCancelled
from jobs.models import Run
from jobs.runs import context
from jobs.runs.counters import run_counters_add
from tests.conftest import wait_for
from tests.factories import RunFactory
from tests.vocabularies.conftest import ror_sample
from vocabularies.batches import _older_than
from vocabularies.importing import vocabulary_import
from vocabularies.models import Affiliation
from vocabularies.readers.ror import affiliation_row
from vocabularies.targets import AFFILIATIONS


@pytest.fixture
def handle():
    def make(**kw):
        run = context.RunHandle(None, **kw)
        token = context.activate(run)
        made.append(token)
        return run

    made = []
    yield make
    for token in reversed(made):
        context.deactivate(token)


@pytest.mark.django_db
def test_cancellation_is_checked_while_reading(handle):
    handle(cancel_check=lambda: True)
    records = ror_sample() * 100  # 1,700 records: the check runs every 1,000
    with pytest.raises(RunCancelled):
        vocabulary_import(target=AFFILIATIONS, records=iter(records), mapper=affiliation_row, batch_size=10_000)
    assert Affiliation.objects.count() == 0


@pytest.mark.django_db
def test_duplicate_ids_in_one_batch_keep_the_last(handle):
    run = handle()
    first, second = ror_sample()[0], dict(ror_sample()[0])
    second["status"] = "inactive"
    vocabulary_import(target=AFFILIATIONS, records=[first, second], mapper=affiliation_row)
    assert Affiliation.objects.get().status == "inactive"
    assert run.counters["created"] == 1


@pytest.mark.django_db
def test_limit_stops_and_closes_the_reader(handle):
    handle()
    closed = []

    def reader():
        try:
            yield from ror_sample()
        finally:
            closed.append(True)

    vocabulary_import(target=AFFILIATIONS, records=reader(), mapper=affiliation_row, limit=2)
    assert Affiliation.objects.count() == 2 and closed == [True]


def test_since_compares_dates_by_day_and_datetimes_exactly():
    since = dt.datetime(2026, 6, 23, 15, 0, tzinfo=dt.UTC)
    assert _older_than(dt.date(2026, 6, 22), since)
    assert not _older_than(dt.date(2026, 6, 23), since)  # same day: cannot tell, import it
    assert _older_than(dt.datetime(2026, 6, 23, 14, 59, tzinfo=dt.UTC), since)
    assert not _older_than(None, since)


@pytest.mark.django_db
def test_the_summary_line_is_key_value_with_the_runs_counters(handle, caplog):
    records = ror_sample()
    handle()
    vocabulary_import(target=AFFILIATIONS, records=iter(records), mapper=affiliation_row)
    since = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)  # every record is older: all skipped (since)
    run = handle()
    caplog.clear()
    with caplog.at_level("INFO", logger="vocabularies.importing"):
        vocabulary_import(target=AFFILIATIONS, records=iter(records), mapper=affiliation_row, since=since)
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("vocabulary_imported "))
    assert "{" not in line and "'" not in line
    fields = dict(part.split("=", 1) for part in line.split()[1:])
    assert fields["skipped"] == str(run.counters["skipped"]) == str(len(records))
    assert fields["unchanged"] == "0" and fields["created"] == "0" and fields["errored"] == "0"


@pytest.mark.django_db(transaction=True)
def test_an_import_whose_writer_loses_the_database_leaves_counters_equal_to_the_rows():
    """Each batch's counters are stored in its transaction: the batches written are counted, the lost one is not."""
    run = RunFactory(status=Run.Status.RUNNING)
    writers = set()

    def store(*, counts):
        run_counters_add(run_id=run.pk, counts=counts)
        with connection.cursor() as cursor:  # the writer thread's own connection
            cursor.execute("SELECT pg_backend_pid()")
            writers.add(cursor.fetchone()[0])

    def records():
        for number, record in enumerate(ror_sample()):
            if number == 7:  # three batches of two handed over, at least two written: cut the writer's connection
                wait_for(lambda: Affiliation.objects.count() >= 4, message="two batches written")
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [list(writers)])
            yield record

    token = context.activate(context.RunHandle(run.pk, counts_store=store))
    try:
        with pytest.raises((OperationalError, InterfaceError)):
            vocabulary_import(target=AFFILIATIONS, records=records(), mapper=affiliation_row, batch_size=2, fork=False)
    finally:
        context.deactivate(token)
    run.refresh_from_db()
    rows = Affiliation.objects.count()
    assert 4 <= rows < len(ror_sample()) and run.counters == {"created": rows}
