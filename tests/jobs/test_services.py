"""Writes of the job system: argument validation, job and run creation, cancel, rerun, purge."""

import datetime as dt
import decimal
import json
import uuid
import zoneinfo

import pytest
from django.utils import timezone

from jobs.arguments import arguments_validate, default_args_clean, to_json_safe
from jobs.exceptions import ArgumentsInvalid, JobBusy, JobTypeUnavailable, RunNotCancellable
from jobs.models import Job, Run, RunLog
from jobs.runs.cancel import run_cancel
from jobs.runs.purge import runs_purge
from jobs.runs.services import run_create, run_rerun
from jobs.runs.status import run_transition
from jobs.scheduling.store import schedule_set
from jobs.services import job_create, job_delete, job_update
from tests.factories import JobFactory, RunFactory, UserFactory

Status = Run.Status


# --- arguments ------------------------------------------------------------------------


def test_to_json_safe_turns_datetimes_decimals_and_containers_into_json():
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    value = {
        "naive": dt.datetime(2026, 1, 2, 3, 4, 5),
        "aware": dt.datetime(2026, 7, 1, 12, 0, tzinfo=paris),
        "day": dt.date(2026, 1, 2),
        "at": dt.time(3, 4),
        "amount": decimal.Decimal("1.50"),
        "id": uuid.UUID(int=1),
        "nested": [(1, 2), {3}, {"x": decimal.Decimal("0.1")}],
        7: None,
    }
    safe = to_json_safe(value)
    assert safe == {
        "naive": "2026-01-02T03:04:05+00:00",
        "aware": "2026-07-01T12:00:00+02:00",
        "day": "2026-01-02",
        "at": "03:04:00",
        "amount": "1.50",
        "id": "00000000-0000-0000-0000-000000000001",
        "nested": [[1, 2], [3], {"x": "0.1"}],
        "7": None,
    }
    assert json.loads(json.dumps(safe)) == safe


@pytest.mark.django_db
def test_run_arguments_merge_over_defaults_and_are_validated():
    job = JobFactory(task_type="test_echo", default_args={"message": "default", "lines": 5})
    assert run_create(job=job, args={"lines": "1"}).args == {"message": "default", "lines": 1}
    assert run_create(job=job).args == {"message": "default", "lines": 5}
    bare = JobFactory(task_type="test_echo")
    assert run_create(job=bare).args == {"message": "hello", "lines": 3}  # schema load_default
    with pytest.raises(ArgumentsInvalid) as info:
        run_create(job=job, args={"lines": "x", "colour": "red"})
    assert info.value.messages == {"lines": ["Not a valid integer."], "colour": ["Unknown field."]}
    assert str(info.value) == "lines: Not a valid integer.; colour: Unknown field."
    assert Run.objects.count() == 3


@pytest.mark.django_db
def test_run_arguments_are_stored_json_safe():
    job = JobFactory(task_type="test_fields")
    run = run_create(
        job=job, args={"text": "t", "amount": "1.5", "when": "2026-01-02T03:04:05+01:00", "day": "2026-01-02"}
    )
    run.refresh_from_db()
    assert run.args["amount"] == "1.50"
    assert run.args["when"] == "2026-01-02T03:04:05+01:00"
    assert run.args["day"] == "2026-01-02"
    assert run.args["tags"] == [] and run.args["extra"] == {}


@pytest.mark.django_db
def test_arguments_validate_rejects_non_objects_and_unknown_types():
    with pytest.raises(ArgumentsInvalid) as info:
        arguments_validate(task_type="test_echo", data=["lines", 1])
    assert info.value.messages == {"_schema": ["Arguments must be a JSON object."]}
    with pytest.raises(JobTypeUnavailable):
        arguments_validate(task_type="nope", data={})
    with pytest.raises(JobTypeUnavailable):
        run_create(job=JobFactory(task_type="nope"))


@pytest.mark.django_db
def test_default_args_keep_only_given_keys_in_json_form():
    assert default_args_clean(task_type="test_echo", data={"lines": "4"}) == {"lines": 4}
    cleaned = default_args_clean(task_type="test_fields", data={"text": "x", "when": "2026-01-02T03:04:05Z"})
    assert cleaned == {"text": "x", "when": "2026-01-02T03:04:05+00:00"}


# --- jobs -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_job_create_and_update_validate_defaults_and_change_nothing_on_error():
    user = UserFactory()
    job = job_create(title="Echo", task_type="test_echo", default_args={"lines": "2"}, user=user, queue="slow")
    assert job.default_args == {"lines": 2} and job.created_by == user and job.effective_queue == "slow"
    with pytest.raises(ArgumentsInvalid):
        job_create(title="Bad", task_type="test_echo", default_args={"lines": "many"})
    with pytest.raises(TypeError, match="unknown job settings"):
        job_create(title="Bad", task_type="test_echo", colour="red")
    with pytest.raises(JobTypeUnavailable):
        job_create(title="Bad", task_type="nope")
    assert list(Job.objects.filter(task_type="test_echo")) == [job]

    with pytest.raises(ArgumentsInvalid):
        job_update(job=job, default_args={"lines": "many"}, title="Renamed")
    job.refresh_from_db()
    assert job.title == "Echo" and job.default_args == {"lines": 2}
    job_update(job=job, default_args={"message": "m"}, title="Renamed")
    job.refresh_from_db()
    assert job.title == "Renamed" and job.default_args == {"message": "m"}


# --- runs -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_run_create_enqueues_on_commit_unless_told_not_to(django_capture_on_commit_callbacks):
    job = JobFactory(task_type="test_echo")
    with django_capture_on_commit_callbacks() as callbacks:
        queued = run_create(job=job, trigger=Run.Trigger.CLI)
    assert len(callbacks) == 1 and queued.status == Status.QUEUED and queued.task_id
    with django_capture_on_commit_callbacks() as callbacks:
        local = run_create(job=job, enqueue=False)
        held = run_create(job=job, hold=True)
    assert callbacks == []
    assert local.status == Status.QUEUED and local.finished_at is None
    assert held.status == Status.QUEUED and held.held


@pytest.mark.django_db
def test_run_transition_is_compare_and_set():
    run = RunFactory(status=Status.QUEUED)
    assert not run_transition(run_id=run.pk, from_statuses=[Status.RUNNING], to_status=Status.SUCCESS)
    assert run_transition(run_id=run.pk, from_statuses=[Status.QUEUED], to_status=Status.RUNNING)
    assert run_transition(run_id=run.pk, from_statuses=[Status.RUNNING], to_status=Status.FAILED, message="x")
    run.refresh_from_db()
    assert run.status == Status.FAILED and run.finished_at is not None and run.message == "x"


@pytest.mark.django_db
def test_run_cancel_queued_running_cancelling_and_finished():
    user = UserFactory()
    queued = run_cancel(run=RunFactory(status=Status.QUEUED), user=user)
    assert queued.status == Status.CANCELLED and queued.cancelled_by == user and queued.finished_at
    assert queued.message == "cancelled before it started"
    running = run_cancel(run=RunFactory(status=Status.RUNNING), user=user)
    assert running.status == Status.CANCELLING and running.cancelled_by == user and running.finished_at is None
    assert run_cancel(run=running).status == Status.CANCELLING  # asking twice is fine
    for status in Run.FINAL_STATUSES:
        run = RunFactory(status=status)
        with pytest.raises(RunNotCancellable, match="has already ended"):
            run_cancel(run=run)
        run.refresh_from_db()
        assert run.status == status


@pytest.mark.django_db
def test_run_rerun_copies_the_arguments_it_ran_with():
    job = JobFactory(task_type="test_echo", default_args={"message": "before"})
    first = run_create(job=job, args={"lines": 7})
    Run.objects.filter(pk=first.pk).update(status=Status.FAILED)
    job.default_args = {"message": "after"}
    job.save()
    again = run_rerun(run=first, trigger=Run.Trigger.CLI)
    assert again.pk != first.pk and again.status == Status.QUEUED and again.trigger == Run.Trigger.CLI
    assert again.args == first.args == {"message": "before", "lines": 7}
    assert again.task_id != first.task_id


def _old(job, days, status=Status.SUCCESS, logs=0):
    run = RunFactory(job=job, status=status, created_at=timezone.now() - dt.timedelta(days=days))
    RunLog.objects.bulk_create(
        RunLog(run=run, seq=i + 1, created_at=run.created_at, level=20, logger="t", message="m") for i in range(logs)
    )
    return run


@pytest.mark.django_db
def test_runs_purge_keeps_recent_runs_the_last_k_per_job_and_active_runs():
    a, b = JobFactory(), JobFactory()
    a_runs = [_old(a, days, logs=2) for days in (100, 90, 80, 70)]  # oldest first
    a_active = _old(a, 200, status=Status.RUNNING)
    a_recent = _old(a, 1)
    b_only = _old(b, 300, logs=1)
    retry = RunFactory(job=a, retry_of=a_runs[0])

    result = runs_purge(keep_days=30, keep_last=3)
    # a's newest three are retry, a_recent and a_runs[3]: a_runs[0..2] are old enough and beyond them.
    assert result == {"runs": 3, "logs": 6}
    remaining = set(Run.objects.values_list("pk", flat=True))
    assert remaining == {a_runs[3].pk, a_active.pk, a_recent.pk, b_only.pk, retry.pk}
    retry.refresh_from_db()
    assert retry.retry_of is None
    assert RunLog.objects.filter(run=b_only).count() == 1

    assert runs_purge(keep_days=0, keep_last=0) == {"runs": 4, "logs": 3}
    assert set(Run.objects.values_list("pk", flat=True)) == {a_active.pk}


@pytest.mark.django_db
def test_job_delete_refuses_a_busy_job_and_removes_schedule_runs_and_logs():
    from django_celery_beat.models import PeriodicTask

    job = JobFactory()
    schedule_set(job=job, every="1h")
    run = RunFactory(job=job, status=Run.Status.CANCELLING)
    RunLog.objects.create(run=run, seq=0, created_at=timezone.now(), level=20, logger="t", message="m")
    with pytest.raises(JobBusy):
        job_delete(job=job)
    assert Job.objects.filter(pk=job.pk).exists() and PeriodicTask.objects.filter(job__pk=job.pk).exists()
    Run.objects.filter(pk=run.pk).update(status=Run.Status.CANCELLED)
    task_id = Job.objects.get(pk=job.pk).periodic_task_id
    job_delete(job=job)
    assert not Job.objects.filter(pk=job.pk).exists() and not Run.objects.filter(pk=run.pk).exists()
    assert not RunLog.objects.filter(run_id=run.pk).exists() and not PeriodicTask.objects.filter(pk=task_id).exists()
