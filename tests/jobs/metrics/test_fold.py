"""The stored fold of ended runs: always equal to reading every run, whoever folds and whatever is deleted."""

import datetime as dt
import json
import subprocess
import sys
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from jobs.metrics import fold, queries
from jobs.metrics.models import FoldState, HistogramFold, JobOutcome, RunCount, RunGone
from jobs.metrics.totals import RunTotals
from jobs.models import Run
from jobs.runs.purge import runs_purge
from jobs.services import job_delete
from tests.conftest import ROOT, wait_for, worker_env
from tests.factories import JobFactory, RunFactory
from tests.jobs.metrics.test_views import _history

pytestmark = pytest.mark.django_db


def _view(totals: RunTotals) -> dict:
    """Totals in a comparable form (seconds rounded)."""
    def hist(h):
        return h.counts, h.count, round(h.total, 3)

    def newest(n):
        return [None if e is None else [str(part) for part in e[:3]] for e in (n.success, n.outcome)]

    return {
        "counts": {"|".join(map(str, key)): list(value) for key, value in sorted(totals.counts.items())},
        "durations": {str(job_id): hist(h) for job_id, h in sorted(totals.durations.items())},
        "wait": hist(totals.wait),
        "late": hist(totals.late),
        "newest": {str(job_id): newest(n) for job_id, n in sorted(totals.newest.items()) if n.outcome or n.success},
    }


def _full() -> dict:
    totals = RunTotals()
    totals.add_rows(queries.run_rows(Run.objects.all()))
    totals.add_newest(queries.newest_outcomes(Run.objects.all()))
    return _view(totals.present())


def _scraped() -> dict:
    return _view(fold.run_totals())


def _state() -> FoldState:
    return FoldState.objects.get()


@pytest.fixture
def fold_each_scrape(settings):
    settings.JOBS_METRICS_FOLD_SECONDS = 0  # every scrape folds every run that has ended


def test_folded_totals_equal_a_full_read(fold_each_scrape):
    echo, fail, timed = _history()
    assert _scraped() == _full()
    assert RunCount.objects.exists() and _state().watermark > Run.objects.latest("pk").pk
    assert _state().pending == sorted(Run.objects.active().values_list("pk", flat=True))
    # Active runs end, new runs come: the pending runs are folded once ended.
    Run.objects.filter(status=Run.Status.RUNNING).update(
        status=Run.Status.FAILED, finished_at=timezone.now(), message="worker lost")
    Run.objects.filter(status=Run.Status.QUEUED).update(status=Run.Status.CANCELLED, finished_at=timezone.now())
    RunFactory.create_batch(3, job=fail, status=Run.Status.FAILED, started_at=timezone.now(), finished_at=timezone.now())
    RunFactory(job=echo, status=Run.Status.RUNNING, started_at=timezone.now())
    assert _scraped() == _full()
    assert _state().pending == list(Run.objects.active().values_list("pk", flat=True))
    assert _scraped() == _full()
    # The stored rows alone are every ended run.
    stored = RunTotals()
    stored.add_stored(queries.fold_counts(), queries.fold_histograms())
    ended = RunTotals()
    ended.add_rows(queries.run_rows(Run.objects.exclude(status__in=Run.ACTIVE_STATUSES)))
    assert _view(stored.present()) == _view(ended.present())


def test_recent_runs_are_read_until_they_are_folded(settings):
    _history()
    assert _scraped() == _full()  # everything is younger than JOBS_METRICS_FOLD_SECONDS: nothing folded
    assert not RunCount.objects.exists()
    old = timezone.now() - dt.timedelta(hours=1)
    Run.objects.update(created_at=old)
    FoldState.objects.update(folded_at=old)  # the last fold is due again
    assert _scraped() == _full()
    assert RunCount.objects.exists()


def test_deleted_runs_leave_the_totals(fold_each_scrape):
    job = JobFactory(task_type="test_echo")
    old = timezone.now() - dt.timedelta(days=40)
    RunFactory.create_batch(5, job=job, created_at=old, started_at=old, finished_at=old + dt.timedelta(seconds=90))
    RunFactory.create_batch(2, job=job, status=Run.Status.FAILED, started_at=timezone.now(), finished_at=timezone.now())
    assert _scraped() == _full()
    runs_purge(keep_days=30, keep_last=2)
    assert Run.objects.count() == 2 and RunGone.objects.count() == 5
    assert _scraped() == _full()  # subtracted, then folded out of the stored rows
    assert not RunGone.objects.exists()
    assert list(RunCount.objects.values_list("status", "n")) == [("failed", 2)]


def test_deleted_job_leaves_the_totals(fold_each_scrape):
    echo, fail, timed = _history()
    Run.objects.filter(job=echo, status__in=Run.ACTIVE_STATUSES).update(status=Run.Status.CANCELLED)
    assert _scraped() == _full()
    job_delete(job=echo)
    assert _scraped() == _full()
    assert not RunCount.objects.filter(job_id=echo.pk).exists()
    assert not JobOutcome.objects.filter(job_id=echo.pk).exists()


def test_deleted_runs_are_taken_out_at_the_next_scrape(settings):
    settings.JOBS_METRICS_FOLD_SECONDS = 0
    _history()
    _scraped()
    settings.JOBS_METRICS_FOLD_SECONDS = 3600  # the fold is not due
    Run.objects.filter(status=Run.Status.SUCCESS).delete()
    assert RunGone.objects.exists()
    assert _scraped() == _full()
    assert not RunGone.objects.exists()


def test_a_pending_run_deleted_after_it_ended_is_not_subtracted(fold_each_scrape):
    job = JobFactory(task_type="test_echo")
    RunFactory(job=job)
    running = RunFactory(job=job, status=Run.Status.RUNNING, started_at=timezone.now())
    assert _scraped() == _full() and _state().pending == [running.pk]
    Run.objects.filter(pk=running.pk).update(status=Run.Status.SUCCESS, finished_at=timezone.now())
    Run.objects.filter(pk=running.pk).delete()
    assert not RunGone.objects.exists()  # it was never folded
    assert _scraped() == _full()


def _newest(job) -> tuple:
    newest = fold.run_totals().newest[job.pk]
    return newest.success[1], newest.outcome[1]


def test_the_newest_outcome_is_the_run_created_last_even_if_it_ends_first(fold_each_scrape):
    job = JobFactory(task_type="test_echo")
    now = timezone.now()
    old = RunFactory(job=job, status=Run.Status.RUNNING, created_at=now - dt.timedelta(hours=2), started_at=now)
    new = RunFactory(job=job, status=Run.Status.FAILED, created_at=now - dt.timedelta(hours=1), finished_at=now)
    newest = fold.run_totals().newest[job.pk]
    assert newest.success is None and newest.outcome[1] == new.pk
    assert _state().pending == [old.pk]
    Run.objects.filter(pk=old.pk).update(status=Run.Status.SUCCESS, finished_at=timezone.now())
    assert _newest(job) == (old.pk, new.pk)  # the older run ended later: the newer one is still the outcome
    assert _scraped() == _full()


def test_a_deleted_newest_run_gives_way_to_the_one_before(settings):
    settings.JOBS_METRICS_FOLD_SECONDS = 0
    job = JobFactory(task_type="test_echo")
    now = timezone.now()
    first, second = (RunFactory(job=job, created_at=now - dt.timedelta(minutes=m), finished_at=now) for m in (20, 10))
    RunFactory(job=job, status=Run.Status.SKIPPED, created_at=now)  # not an outcome
    assert _newest(job) == (second.pk, second.pk)
    settings.JOBS_METRICS_FOLD_SECONDS = 3600
    Run.objects.filter(pk=second.pk).delete()
    assert _newest(job) == (first.pk, first.pk)
    assert JobOutcome.objects.get(job_id=job.pk).outcome_id == first.pk
    Run.objects.filter(pk=first.pk).delete()
    assert job.pk not in fold.run_totals().newest or fold.run_totals().newest[job.pk].outcome is None
    assert not JobOutcome.objects.filter(job_id=job.pk).exists()


def test_truncating_the_runs_empties_the_fold(fold_each_scrape):
    _history()
    _scraped()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred foreign key checks left in the test's transaction
        cursor.execute("TRUNCATE jobs_run CASCADE")
    assert not RunCount.objects.exists() and not HistogramFold.objects.exists() and _state().watermark == 0
    RunFactory.create_batch(2, job=JobFactory(task_type="test_echo"))
    assert _scraped() == _full()


def test_other_bucket_bounds_start_the_fold_over(fold_each_scrape):
    _history()
    _scraped()
    FoldState.objects.update(buckets={"duration": [1.0]})  # as if counted before the bounds changed
    RunCount.objects.update(n=1000)
    HistogramFold.objects.update(counts=[1])
    assert _scraped() == _full()


@pytest.mark.django_db(transaction=True)
def test_another_process_reads_the_stored_fold(settings):
    settings.JOBS_METRICS_FOLD_SECONDS = 0
    _history()
    Run.objects.filter(status__in=Run.ACTIVE_STATUSES).update(status=Run.Status.CANCELLED)
    expected = _scraped()
    folded_at = _state().folded_at
    # A fresh process (default JOBS_METRICS_FOLD_SECONDS: the fold is not due) reads the stored rows only.
    code = (
        "import django, json; django.setup(); from jobs.metrics import fold; "
        "from tests.jobs.metrics.test_fold import _view; print(json.dumps(_view(fold.run_totals())))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=worker_env(), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(json.dumps(expected))
    assert _state().folded_at == folded_at


def _in_thread(target, results, name):
    def run():
        try:
            results[name] = target()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_concurrent_scrapes_fold_once(settings):
    settings.JOBS_METRICS_FOLD_SECONDS = 0
    _history()
    results = {}
    threads = [_in_thread(_scraped, results, name) for name in ("a", "b")]
    for thread in threads:
        thread.join(timeout=60)
    assert results["a"] == results["b"] == _full()
    assert _scraped() == _full()


@pytest.mark.django_db(transaction=True)
def test_a_delete_during_a_fold_is_taken_out_afterwards(settings):
    settings.JOBS_METRICS_FOLD_SECONDS = 0
    job = JobFactory(task_type="test_echo")
    RunFactory.create_batch(4, job=job, started_at=timezone.now(), finished_at=timezone.now())
    doomed = list(Run.objects.values_list("pk", flat=True)[:2])
    locked, folded = threading.Event(), threading.Event()

    def folding():
        with transaction.atomic():
            state = fold._state_locked()
            locked.set()
            # The delete has removed its rows (uncommitted) and waits for the state row in its trigger.
            wait_for(_a_session_waits_for_a_lock, timeout=30, message="the delete to wait for the fold")
            fold._advance(state, timezone.now(), [])  # still sees the doomed runs, and folds them
        folded.set()

    results = {}
    folder = _in_thread(folding, results, "fold")
    locked.wait(timeout=30)
    deleter = _in_thread(lambda: Run.objects.filter(pk__in=doomed).delete(), results, "delete")
    folder.join(timeout=60)
    deleter.join(timeout=60)
    assert folded.is_set() and results["delete"][0] == 2
    assert RunGone.objects.count() == 2  # the trigger saw the fold's new watermark
    assert _scraped() == _full()
    assert list(RunCount.objects.values_list("n", flat=True)) == [2]


def _a_session_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # else the view stays as first read in this transaction
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0
