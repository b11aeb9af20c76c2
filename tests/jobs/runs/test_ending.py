"""Every way a run ends goes through ``run_end``, and gets its retry, release and e-mail."""

import datetime as dt
import io
import threading

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from jobs.exceptions import ArgumentsInvalid
from jobs.models import Run
from jobs.runs.cancel import run_cancel
from jobs.runs.ending import run_end
from jobs.runs.services import run_create
from jobs.scheduling.firing import tick_fire
from jobs.scheduling.store import schedule_set
from tests.factories import JobFactory, RunFactory
from tests.jobtypes import Echo

Status = Run.Status


@pytest.mark.django_db
def test_run_end_is_compare_and_set_and_follows_up_once():
    job = JobFactory(notify_emails="ops@example.org", notify_on=["failed"])
    run = RunFactory(job=job, status=Status.RUNNING)
    assert run_end(run_id=run.pk, to_status=Status.FAILED, message="first")
    assert not run_end(run_id=run.pk, to_status=Status.CANCELLED, message="second")
    run.refresh_from_db()
    assert (run.status, run.message) == (Status.FAILED, "first") and run.finished_at
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_run_end_refuses_a_status_that_is_not_final():
    run = RunFactory(status=Status.QUEUED)
    with pytest.raises(ValueError):
        run_end(run_id=run.pk, to_status=Status.RUNNING)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("max_retries", "retries", "mails"), [(1, 1, 0), (0, 0, 1)])
def test_a_foreground_run_that_times_out_is_retried_or_notified(max_retries, retries, mails):
    job = JobFactory(task_type="test_slow", max_retries=max_retries, retry_backoff_seconds=3600,
                     notify_emails="ops@example.org", notify_on=["failed"])
    with pytest.raises(CommandError) as info:
        call_command("jobs", "run", str(job.pk), "--foreground", "--arg", "seconds=30", "--timeout", "0.5",
                     stdout=io.StringIO(), stderr=io.StringIO())
    assert info.value.returncode == 4
    first = Run.objects.get(job=job, attempt=0)
    assert first.status == Status.FAILED and first.message == "timed out after 0.5 s (--timeout)"
    # The task sees that its run has ended and stops (its thread is the command's).
    task_thread = next(t for t in threading.enumerate() if t.name == f"jobs-run-{first.pk}")
    task_thread.join(timeout=10)
    assert not task_thread.is_alive()
    retry = Run.objects.filter(retry_of=first)
    assert retry.count() == retries
    if retries:
        assert retry.get().trigger == Run.Trigger.RETRY and retry.get().status == Status.QUEUED
    # The last attempt decides: no e-mail while a retry is pending.
    assert len(mail.outbox) == mails
    if mails:
        assert "timed out after 0.5 s" in mail.outbox[0].body


@pytest.mark.django_db
def test_a_tick_skipped_by_the_overlap_policy_notifies_when_asked():
    job = schedule_set(job=JobFactory(notify_emails="ops@example.org", notify_on=["skipped"]), every="1m")
    active = RunFactory(job=job, status=Status.RUNNING)
    now = timezone.now().replace(second=0, microsecond=0)
    run = tick_fire(job_id=job.pk, due_at=now, now=now)
    assert run.status == Status.SKIPPED and run.message == f"skipped: run {active.pk} is still running"
    assert [m.subject for m in mail.outbox] == [f"[Jobsite] {job.title}: run {run.pk} Skipped"]


@pytest.mark.django_db
def test_ticks_the_scheduler_missed_notify_when_asked():
    job = schedule_set(job=JobFactory(notify_emails="ops@example.org", notify_on=["skipped"], overlap_policy="allow",
                                      missed_grace_seconds=300), every="1m")
    start = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    tick_fire(job_id=job.pk, due_at=start, now=start)
    Run.objects.filter(job=job).update(status=Status.SUCCESS)
    later = start + dt.timedelta(minutes=4)
    tick_fire(job_id=job.pk, due_at=later, now=later)
    missed = Run.objects.filter(job=job, status=Status.SKIPPED).order_by("due_at")
    assert [r.due_at for r in missed] == [start + dt.timedelta(minutes=m) for m in (1, 2, 3)]
    assert all(r.message == "missed: the scheduler did not fire this tick" for r in missed)
    assert sorted(m.subject for m in mail.outbox) == sorted(f"[Jobsite] {job.title}: run {r.pk} Skipped" for r in missed)


@pytest.mark.django_db
def test_a_tick_that_cannot_start_fails_and_notifies():
    job = schedule_set(job=JobFactory(task_type="test_echo", notify_emails="ops@example.org", notify_on=["failed"]),
                       every="1m")
    job.task_type = "not_installed"
    job.save(update_fields=["task_type"])
    now = timezone.now().replace(second=0, microsecond=0)
    run = tick_fire(job_id=job.pk, due_at=now, now=now)
    assert run.status == Status.FAILED and run.message.startswith("JobTypeUnavailable: ")
    assert run.finished_at and not run.task_id
    assert [m.subject for m in mail.outbox] == [f"[Jobsite] {job.title}: run {run.pk} Failed"]


@pytest.mark.django_db
def test_a_tick_that_cannot_start_is_retried_with_arguments_built_again(monkeypatch, django_capture_on_commit_callbacks):
    calls = []

    def flaky(cls, job, **validated):
        calls.append(job.pk)
        if len(calls) == 1:
            raise ArgumentsInvalid({"message": ["the upstream service did not answer"]})
        return validated

    monkeypatch.setattr(Echo, "build_task_arguments", classmethod(flaky))
    job = schedule_set(job=JobFactory(task_type="test_echo", max_retries=1, retry_backoff_seconds=60,
                                      notify_emails="ops@example.org", notify_on=["failed"]), every="1m")
    now = timezone.now().replace(second=0, microsecond=0)
    with django_capture_on_commit_callbacks() as callbacks:
        failed = tick_fire(job_id=job.pk, due_at=now, now=now)
    assert failed.status == Status.FAILED and "the upstream service did not answer" in failed.message
    retry = Run.objects.get(retry_of=failed)
    assert (retry.status, retry.trigger, retry.attempt) == (Status.QUEUED, Run.Trigger.RETRY, 1)
    assert retry.args == {"message": "hello", "lines": 3} and retry.not_before is not None
    assert len(callbacks) == 1  # the retry's message, sent after its backoff
    assert len(calls) == 2 and mail.outbox == []


@pytest.mark.django_db
def test_a_queued_run_cancelled_ends_through_run_end_and_releases_nothing_else():
    job = JobFactory(notify_emails="ops@example.org", notify_on=["cancelled"])
    run = run_create(job=job, args={})
    run_cancel(run=run)
    run.refresh_from_db()
    assert run.status == Status.CANCELLED and run.message == "cancelled before it started"
    assert len(mail.outbox) == 1
