"""E-mail for the statuses a job asks for, not while a retry is pending, and for slow runs."""

import datetime as dt

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from jobs.models import Run
from jobs.runs.cancel import run_cancel
from jobs.runs.execution import run_execute
from jobs.runs.notifications import run_notify
from jobs.runs.services import run_create
from jobs.scheduling.firing import tick_fire
from tests.factories import JobFactory, RunFactory

ALL = ["success", "partial_success", "failed", "cancelled", "skipped"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("task_type", "expected"),
    [("test_echo", "Success"), ("test_partial", "Partial success"), ("test_fail", "Failed")],
)
@override_settings(JOBSITE_BASE_URL="https://jobs.example.org")
def test_each_ending_status_notifies_when_asked(task_type, expected):
    job = JobFactory(task_type=task_type, title="Nightly", notify_emails="a@example.org, b@example.org", notify_on=ALL)
    run = run_create(job=job, args={})
    run_execute(run_id=run.pk)
    assert [m.subject for m in mail.outbox] == [f"[Jobsite] Nightly: run {run.pk} {expected}"]
    assert mail.outbox[0].to == ["a@example.org", "b@example.org"]
    assert f"Run page: https://jobs.example.org/admin/jobs/run/{run.pk}/change/" in mail.outbox[0].body
    html, mimetype = mail.outbox[0].alternatives[0]
    assert mimetype == "text/html"
    assert f'<a href="https://jobs.example.org/admin/jobs/run/{run.pk}/change/"' in html


@pytest.mark.django_db
@override_settings(JOBSITE_BASE_URL="https://jobs.example.org")
def test_the_text_body_has_every_fact_and_the_html_part_the_same_escaped():
    job = JobFactory(task_type="test_fail", title="Import <A & B>", notify_emails="ops@example.org",
                     notify_on=["failed"])
    run = run_create(job=job, args={})
    run_execute(run_id=run.pk)
    run.refresh_from_db()
    message = mail.outbox[0]
    link = f"https://jobs.example.org/admin/jobs/run/{run.pk}/change/"
    started, finished = (t.strftime("%Y-%m-%d %H:%M:%S UTC") for t in (run.started_at, run.finished_at))
    assert message.body == (
        f"Job: Import <A & B> (id {job.pk})\n"
        f"Run: {run.pk}, Failed, trigger {run.trigger}, attempt {run.attempt}\n"
        f"Started: {started}\n"
        f"Finished: {finished}\n"
        f"Run page: {link}\n"
        f"\n{run.message}\n"
    )
    assert run.message
    html = message.alternatives[0][0]
    assert f"Import &lt;A &amp; B&gt;: run {run.pk} failed</h1>" in html and "<A & B>" not in html
    for fact in (f">{run.pk}<", "<strong>Failed</strong>", f">{run.trigger}<", started, finished):
        assert fact in html, fact
    assert f'<a href="{link}"' in html


@pytest.mark.django_db
def test_a_run_that_never_started_says_so():
    job = JobFactory(notify_emails="ops@example.org", notify_on=["cancelled"])
    run = run_cancel(run=run_create(job=job, args={}))
    assert "Started: -\n" in mail.outbox[0].body
    assert run.pk and ">-</td>" in mail.outbox[0].alternatives[0][0]


@pytest.mark.django_db
def test_cancelled_notifies():
    job = JobFactory(notify_emails="ops@example.org", notify_on=["cancelled"])
    run = run_cancel(run=run_create(job=job, args={}))
    assert [m.subject for m in mail.outbox] == [f"[Jobsite] {job.title}: run {run.pk} Cancelled"]


@pytest.mark.django_db(transaction=True)
def test_skipped_tick_notifies():
    job = JobFactory(notify_emails="ops@example.org", notify_on=["skipped"], missed_grace_seconds=1)
    now = timezone.now()
    run = tick_fire(job_id=job.pk, due_at=now - dt.timedelta(minutes=5), now=now)
    assert [m.subject for m in mail.outbox] == [f"[Jobsite] {job.title}: run {run.pk} Skipped"]
    assert "missed" in mail.outbox[0].body


@pytest.mark.django_db
def test_statuses_not_asked_for_and_jobs_without_recipients_send_nothing():
    run_execute(run_id=run_create(job=JobFactory(notify_emails="ops@example.org", notify_on=["failed"]), args={}).pk)
    run_execute(run_id=run_create(job=JobFactory(notify_on=ALL), args={}).pk)
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_pending_retry_does_not_notify_the_last_attempt_does():
    job = JobFactory(task_type="test_fail", max_retries=1, retry_backoff_seconds=0, notify_emails="ops@example.org",
                     notify_on=["failed"])
    first = run_create(job=job, args={})
    run_execute(run_id=first.pk)
    assert mail.outbox == []
    retry = first.retries.get()
    run_execute(run_id=retry.pk)
    assert [m.subject for m in mail.outbox] == [f"[Jobsite] {job.title}: run {retry.pk} Failed"]


@pytest.mark.django_db
def test_slow_run_alert_against_the_median_of_the_last_ten_successes():
    job = JobFactory(notify_emails="ops@example.org", notify_on=[], slow_factor=2.0)
    start = timezone.now() - dt.timedelta(hours=1)
    for i in range(12):
        RunFactory(job=job, status="success", started_at=start + dt.timedelta(minutes=i),
                   finished_at=start + dt.timedelta(minutes=i, seconds=10 if i >= 2 else 500))
    normal = RunFactory(job=job, status="success", started_at=start, finished_at=start + dt.timedelta(seconds=19))
    slow = RunFactory(job=job, status="success", started_at=start, finished_at=start + dt.timedelta(seconds=21))
    assert run_notify(run=normal) == []
    assert run_notify(run=slow) == [f"[Jobsite] {job.title}: run {slow.pk} slow"]
    assert "more than 2 x the median" in mail.outbox[0].body
    assert mail.outbox[0].body.startswith("Slow run: this run takes longer than the job's recent successes.\n\n")
    html = mail.outbox[0].alternatives[0][0]
    assert f"run {slow.pk} is slow</h1>" in html and "more than 2 x the median" in html
    assert f"/admin/jobs/run/{slow.pk}/change/" in html


@pytest.mark.django_db
def test_a_run_still_running_past_the_threshold_alerts_once_via_the_reaper():
    from jobs.runs.reaper import runs_reap

    job = JobFactory(notify_emails="ops@example.org", notify_on=["success"], slow_factor=3.0)
    now = timezone.now()
    for i in range(3):
        RunFactory(job=job, status="success", started_at=now - dt.timedelta(hours=2, seconds=10 * i),
                   finished_at=now - dt.timedelta(hours=2, seconds=10 * i - 10))
    stuck = RunFactory(job=job, status="running", started_at=now - dt.timedelta(seconds=40), heartbeat_at=now)
    assert runs_reap()["slow_alerts"] == 1
    assert runs_reap()["slow_alerts"] == 0
    assert [m.subject for m in mail.outbox] == [f"[Jobsite] {job.title}: run {stuck.pk} slow"]
    assert "has been running for" in mail.outbox[0].body
    # At its end only the status mail goes out; the slow alert was already sent.
    Run.objects.filter(pk=stuck.pk).update(status="success", finished_at=timezone.now())
    stuck.refresh_from_db()
    assert run_notify(run=stuck) == [f"[Jobsite] {job.title}: run {stuck.pk} Success"]
