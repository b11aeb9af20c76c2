"""Overlap and missed-run policies, decided in the worker (fire_schedule) and by a real beat."""

import datetime as dt

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from jobs.models import Run
from jobs.scheduling.firing import tick_fire
from jobs.scheduling.store import schedule_set
from jobs.tasks import fire_schedule
from tests.conftest import wait_for
from tests.factories import JobFactory
from tests.jobs.scheduling.beatproc import Beat

worker_db = pytest.mark.django_db(transaction=True)


def _tick(job, offset=0):
    due = timezone.now().replace(microsecond=0) + dt.timedelta(seconds=offset)
    fire_schedule.delay(job.pk, due_at=due.isoformat())
    return wait_for(lambda: Run.objects.filter(job=job, due_at=due).first(), timeout=15, message="tick's run")


def _ends(run):
    def check():
        run.refresh_from_db()
        return run.status in Run.FINAL_STATUSES
    return check


def _running(run):
    return wait_for(lambda: Run.objects.filter(pk=run.pk, status="running").exists(), timeout=15, message="running")


@pytest.mark.worker
@worker_db
def test_skip_records_the_tick_as_skipped(celery_worker):
    job = JobFactory(task_type="test_slow", default_args={"seconds": 3}, overlap_policy="skip")
    first = _tick(job)
    _running(first)
    second = _tick(job, 1)
    assert second.status == "skipped" and second.message == f"skipped: run {first.pk} is still running"
    assert second.trigger == "schedule" and second.started_at is None


@pytest.mark.worker
@worker_db
def test_queue_starts_the_tick_when_the_active_run_ends(celery_worker):
    job = JobFactory(task_type="test_slow", default_args={"seconds": 4}, overlap_policy="queue")
    first = _tick(job)
    _running(first)
    second = _tick(job, 1)
    third = _tick(job, 2)
    assert second.status == "queued" and second.held
    assert third.status == "skipped" and "already waiting" in third.message
    wait_for(_ends(second), timeout=20, message="queued tick to run")
    first.refresh_from_db()
    assert first.status == second.status == "success"
    assert second.started_at >= first.finished_at


@pytest.mark.worker
@worker_db
def test_allow_runs_ticks_side_by_side(celery_worker):
    job = JobFactory(task_type="test_slow", default_args={"seconds": 2}, overlap_policy="allow")
    first = _tick(job)
    _running(first)
    second = _tick(job, 1)
    wait_for(_ends(second), timeout=20, message="second run")
    wait_for(_ends(first), timeout=20, message="first run")
    assert first.status == second.status == "success"
    assert second.started_at < first.finished_at


@pytest.mark.worker
@worker_db
def test_replace_cancels_the_active_run_and_starts_the_tick(celery_worker):
    job = JobFactory(task_type="test_slow", default_args={"seconds": 2}, overlap_policy="replace")
    first = _tick(job)
    _running(first)
    second = _tick(job, 1)
    wait_for(_ends(first), timeout=15, message="replaced run to stop")
    wait_for(_ends(second), timeout=15, message="replacing run")
    assert first.status == "cancelled" and second.status == "success"


@pytest.mark.django_db
def test_a_tick_later_than_the_grace_is_recorded_as_missed():
    job = JobFactory(missed_grace_seconds=300)
    now = timezone.now()
    late = tick_fire(job_id=job.pk, due_at=now - dt.timedelta(seconds=301), now=now)
    on_time = tick_fire(job_id=job.pk, due_at=now - dt.timedelta(seconds=299), now=now)
    assert late.status == "skipped" and late.message.startswith("missed: ") and "301 s late" in late.message
    assert on_time.status == "queued"
    # The same tick again (second beat, redelivery) makes nothing.
    assert tick_fire(job_id=job.pk, due_at=now - dt.timedelta(seconds=299), now=now) is None
    assert Run.objects.filter(job=job).count() == 2


@pytest.mark.django_db
def test_a_manual_run_does_not_touch_the_schedule():
    from jobs.runs.services import run_create

    job = schedule_set(job=JobFactory(), every="1h")
    before = PeriodicTask.objects.values("last_run_at", "total_run_count").get(pk=job.periodic_task_id)
    run_create(job=job, args={})
    assert PeriodicTask.objects.values("last_run_at", "total_run_count").get(pk=job.periodic_task_id) == before


@pytest.mark.slow
@pytest.mark.worker
@worker_db
def test_after_scheduler_downtime_one_late_tick_runs_and_nothing_bursts(celery_worker, tmp_path):
    now = timezone.now().replace(microsecond=0)
    # Due hourly, the newest tick 30 s ago, beat down for ten hours: that tick (within the grace)
    # runs, once. The next tick is an hour away, so no new tick falls due while the test runs.
    newest = now - dt.timedelta(seconds=30)
    grid = schedule_set(
        job=JobFactory(default_args={"lines": 1}, missed_grace_seconds=300),
        every="1h", every_from=newest - dt.timedelta(hours=10),
    )
    # Due hourly at a minute half an hour ago (the next one half an hour ahead), beat down for hours: missed.
    minute = (now - dt.timedelta(minutes=30)).minute
    cron = schedule_set(job=JobFactory(default_args={"lines": 1}, missed_grace_seconds=300), cron=f"{minute} * * * *")
    PeriodicTask.objects.filter(pk=grid.periodic_task_id).update(last_run_at=now - dt.timedelta(hours=10))
    PeriodicTask.objects.filter(pk=cron.periodic_task_id).update(last_run_at=now - dt.timedelta(hours=3))
    names = [PeriodicTask.objects.get(pk=job.periodic_task_id).name for job in (grid, cron)]
    beat = Beat(tmp_path, loglevel="DEBUG")
    try:
        wait_for(lambda: Run.objects.filter(job__in=[grid, cron]).count() >= 2, timeout=30, message="late ticks")
        # No burst: beat looks at its schedule again and again after its last send and sends nothing more.
        def sends():
            return [beat.sends_of(name) for name in names]

        wait_for(lambda: beat.wakeups_since_last_send() >= 5 or max(sends()) > 1, timeout=30, message="beat passes")
        assert sends() == [1, 1]
    finally:
        beat.stop()
    late = Run.objects.get(job=grid)
    assert late.due_at == newest
    wait_for(_ends(late), timeout=15, message="late tick's run")
    assert late.status == "success"
    missed = Run.objects.get(job=cron)
    assert missed.status == "skipped" and missed.message.startswith("missed: ")
    assert missed.due_at == (now - dt.timedelta(minutes=30)).replace(second=0)


@pytest.mark.django_db
def test_ticks_the_scheduler_never_fired_are_recorded_as_missed_not_replayed():
    job = schedule_set(job=JobFactory(missed_grace_seconds=300, overlap_policy="allow"), every="1m")
    start = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    tick_fire(job_id=job.pk, due_at=start, now=start)
    # Beat was down for ten minutes; on restart it fires the newest tick only.
    later = start + dt.timedelta(minutes=10)
    run = tick_fire(job_id=job.pk, due_at=later, now=later + dt.timedelta(seconds=2))
    assert run.status == "queued"
    runs = Run.objects.filter(job=job).order_by("due_at")
    assert [r.due_at for r in runs] == [start + dt.timedelta(minutes=m) for m in range(11)]
    assert [r.status for r in runs] == ["queued"] + ["skipped"] * 9 + ["queued"]
    assert all(r.message.startswith("missed") for r in runs if r.status == "skipped")
