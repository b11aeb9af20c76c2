"""A run's stored counters: increments in the caller's transaction, and the handle's own merged over them."""

import functools

import pytest
from django.db import transaction

from jobs.models import Run
from jobs.runs.context import RunHandle
from jobs.runs.counters import counters_merged, run_counters_add
from jobs.runs.ending import run_end
from jobs.runs.execution import RunMonitor
from tests.conftest import wait_for
from tests.factories import RunFactory


@pytest.mark.django_db
def test_counters_added_in_a_transaction_commit_or_roll_back_with_it():
    run = RunFactory(status=Run.Status.RUNNING, counters={"skipped": 1})
    run_counters_add(run_id=run.pk, counts={"created": 2})
    with transaction.atomic():
        run_counters_add(run_id=run.pk, counts={"created": 3, "deleted": 1})
    with pytest.raises(RuntimeError), transaction.atomic():
        run_counters_add(run_id=run.pk, counts={"created": 100})
        raise RuntimeError("the batch failed after its counters")
    run.refresh_from_db()
    assert run.counters == {"skipped": 1, "created": 5, "deleted": 1}


@pytest.mark.django_db
def test_a_runs_end_writes_its_own_counters_over_the_committed_ones():
    run = RunFactory(status=Run.Status.RUNNING, counters={"created": 7, "skipped": 1})
    assert run_end(run_id=run.pk, to_status=Run.Status.SUCCESS, counters=counters_merged({"skipped": 2, "errored": 0}))
    run.refresh_from_db()
    assert run.counters == {"created": 7, "skipped": 2, "errored": 0}


@pytest.mark.django_db(transaction=True)
def test_the_monitor_never_writes_back_a_stale_copy_of_committed_counters(settings):
    settings.JOBS_PROGRESS_FLUSH_SECONDS = 0.05
    run = RunFactory(status=Run.Status.RUNNING)
    handle = RunHandle(run.pk, counts_store=functools.partial(run_counters_add, run_id=run.pk))
    handle.count_committed({"created": 4, "updated": 0})
    handle.count("skipped", 2)
    # Committed elsewhere since (another batch whose copy this handle has not seen yet).
    run_counters_add(run_id=run.pk, counts={"created": 5})
    monitor = RunMonitor.shared()
    monitor.watch(run.pk, handle)
    try:
        wait_for(lambda: Run.objects.get(pk=run.pk).counters.get("skipped") == 2, timeout=5)
    finally:
        monitor.unwatch(run.pk)
    assert Run.objects.get(pk=run.pk).counters == {"created": 9, "skipped": 2}
    assert handle.counters == {"created": 4, "skipped": 2} and handle.committed == {"created"}
    Run.objects.filter(pk=run.pk).update(status=Run.Status.SUCCESS)
