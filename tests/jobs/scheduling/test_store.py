"""Job schedules stored in django-celery-beat, described in words, edited while beat runs."""

import datetime as dt
import time

import pytest
from django_celery_beat.models import PeriodicTask, PeriodicTasks

from jobs.exceptions import ScheduleInvalid
from jobs.models import Run
from jobs.scheduling.store import (
    parse_every,
    schedule_clear,
    schedule_describe,
    schedule_next_fire_times,
    schedule_set,
)
from jobs.services import job_update
from tests.conftest import wait_for
from tests.factories import JobFactory
from tests.jobs.scheduling.beatproc import Beat

UTC = dt.UTC


@pytest.mark.django_db
def test_cron_schedule_is_one_periodic_task_with_words_and_next_times():
    job = JobFactory(title="Nightly")
    before = PeriodicTasks.last_change()
    job = schedule_set(job=job, cron="0 3 * * *", tz="Europe/Zurich")
    task = job.periodic_task
    assert task.task == "jobs.fire_schedule" and task.crontab.timezone.key == "Europe/Zurich"
    assert task.kwargs == f'{{"job_id": {job.pk}}}' and task.enabled
    assert PeriodicTasks.last_change() != before
    assert schedule_describe(job) == "At 03:00 (Europe/Zurich)"
    times = schedule_next_fire_times(job, now=dt.datetime(2026, 3, 27, 12, tzinfo=UTC))
    assert [t.isoformat() for t in times] == [
        "2026-03-28T03:00:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-30T03:00:00+02:00",
        "2026-03-31T03:00:00+02:00", "2026-04-01T03:00:00+02:00",
    ]
    # Changing the schedule keeps the same PeriodicTask.
    job = schedule_set(job=job, every="15m")
    assert job.periodic_task.pk == task.pk and job.periodic_task.crontab is None
    assert schedule_describe(job) == "Every 15 minutes"
    assert PeriodicTask.objects.filter(task="jobs.fire_schedule", kwargs__contains=f'"job_id": {job.pk}').count() == 1


@pytest.mark.django_db
def test_one_off_schedule_and_clearing():
    job = JobFactory()
    job = schedule_set(job=job, at="2099-12-01T03:00+01:00")
    assert job.periodic_task.one_off
    assert schedule_describe(job) == "Once at 2099-12-01T02:00:00+00:00"
    assert len(schedule_next_fire_times(job)) == 1
    clocked_id = job.periodic_task.clocked_id
    job = schedule_clear(job=job)
    assert job.periodic_task is None and schedule_describe(job) == "Not scheduled"
    from django_celery_beat.models import ClockedSchedule

    assert not ClockedSchedule.objects.filter(pk=clocked_id).exists()


@pytest.mark.django_db
def test_pausing_keeps_the_schedule_and_resuming_owes_no_ticks():
    job = schedule_set(job=JobFactory(), every="1h")
    job = job_update(job=job, active=False)
    task = PeriodicTask.objects.get(pk=job.periodic_task_id)
    assert not task.enabled and task.interval.every == 3600
    job.refresh_from_db()
    assert schedule_describe(job) == "Paused: every hour"
    assert schedule_next_fire_times(job) == []
    job = job_update(job=job, active=True)
    task.refresh_from_db()
    assert task.enabled and task.last_run_at is not None


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"cron": "0 3 * *"}, "needs 5 fields"),
        ({"cron": "0 25 * * *"}, "not valid"),
        ({"cron": "0 3 * * *", "tz": "Mars/Olympus"}, "unknown time zone"),
        ({"every": "soon"}, "positive number with a unit"),
        ({"every": "0m"}, "positive number"),
        ({"at": "2020-01-01T00:00+00:00"}, "in the past"),
        ({"at": "2099-01-01T00:00"}, "UTC offset"),
        ({"at": "tomorrow"}, "ISO-8601"),
        ({}, "exactly one"),
        ({"cron": "* * * * *", "every": "1m"}, "exactly one"),
    ],
)
@pytest.mark.django_db
def test_bad_schedules_are_refused_and_change_nothing(kwargs, reason):
    job = schedule_set(job=JobFactory(), every="1h")
    with pytest.raises(ScheduleInvalid, match=reason):
        schedule_set(job=job, **kwargs)
    job.refresh_from_db()
    assert job.periodic_task.interval.every == 3600


def test_parse_every_units():
    assert [parse_every(x) for x in ("90s", "5m", "1h", "2d", " 3H ")] == [90, 300, 3600, 172800, 10800]


@pytest.mark.slow
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_editing_a_schedule_takes_effect_in_a_running_beat(celery_worker, tmp_path):
    job = schedule_set(job=JobFactory(default_args={"lines": 1}), every="1h")
    beat = Beat(tmp_path)
    try:
        time.sleep(2)
        assert not Run.objects.filter(job=job).exists()
        job = schedule_set(job=job, every="2s")
        wait_for(lambda: Run.objects.filter(job=job, trigger="schedule").count() >= 2, timeout=15, message="edit to apply")
        job_update(job=job, active=False)
        time.sleep(2.5)  # beat reloads within a second (--max-interval=1); a tick in flight may land
        count = Run.objects.filter(job=job).count()
        time.sleep(4)
        assert Run.objects.filter(job=job).count() == count
    finally:
        beat.stop()


@pytest.mark.django_db
def test_an_inactive_job_can_be_scheduled_paused():
    job = JobFactory(task_type="test_echo", active=False)
    job = schedule_set(job=job, every="1h")
    job.refresh_from_db()
    assert job.periodic_task is not None and not job.periodic_task.enabled
    assert job.updated_at is not None
