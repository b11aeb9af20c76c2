"""Lost runs: a killed worker process, lost messages, stuck cancels, held runs."""

import base64
import datetime as dt
import json
import os
import signal
import time

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from jobs.models import Job, Run
from jobs.runs.reaper import runs_reap
from jobs.runs.services import run_create
from jobsite.celery import app
from tests.conftest import wait_for
from tests.factories import JobFactory, RunFactory


def _worker_pid_of(run):
    for tasks in (app.control.inspect(timeout=2).active() or {}).values():
        for task in tasks:
            if task["id"] == run.task_id:
                return task["worker_pid"]
    return None


@pytest.mark.slow
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_sigkilled_worker_process_fails_the_run_once(celery_worker, settings):
    settings.JOBS_LOST_RUN_SECONDS = 8  # > the worker's heartbeat interval (5 s)
    reaper_interval = 4.0
    job = JobFactory(task_type="test_slow")
    run = run_create(job=job, args={"seconds": 120, "obey_cancel": True})
    wait_for(lambda: Run.objects.filter(pk=run.pk, status="running").exists(), timeout=20, message="run to start")
    run.refresh_from_db()
    started_at = run.started_at
    pid = wait_for(lambda: _worker_pid_of(run), timeout=10, message="worker pid")
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()

    while Run.objects.get(pk=run.pk).status == Run.Status.RUNNING:
        assert time.monotonic() - killed < settings.JOBS_LOST_RUN_SECONDS + 2 * reaper_interval + 2
        time.sleep(reaper_interval)
        runs_reap()
    run.refresh_from_db()
    assert run.status == Run.Status.FAILED and run.message.startswith("worker lost")
    # acks_late + reject_on_worker_lost redelivered the message; the claim refused it.
    assert run.started_at == started_at
    log = celery_worker.log_path.read_text()
    assert log.count(f"jobs.execute_run[{run.task_id}] received") >= 2


@pytest.mark.django_db
def test_reaper_fails_stale_running_runs_and_spares_live_ones(settings):
    settings.JOBS_LOST_RUN_SECONDS = 60
    now = timezone.now()
    job = JobFactory(time_limit=300)
    stale = RunFactory(job=job, status="running", started_at=now - dt.timedelta(minutes=2),
                       heartbeat_at=now - dt.timedelta(seconds=90))
    timed_out = RunFactory(job=job, status="running", started_at=now - dt.timedelta(minutes=10),
                           heartbeat_at=now - dt.timedelta(minutes=4))
    live = RunFactory(job=job, status="running", started_at=now - dt.timedelta(hours=1),
                      heartbeat_at=now - dt.timedelta(seconds=5))
    assert runs_reap(now=now)["lost"] == 2
    for run in (stale, timed_out, live):
        run.refresh_from_db()
    assert stale.status == "failed" and stale.message.startswith("worker lost")
    assert timed_out.status == "failed" and timed_out.message == "timed out after 300 s (hard time limit)"
    assert live.status == "running"


@pytest.fixture
def unconsumed_queue():
    """A Redis queue of this session that no worker consumes, so what is sent there stays there."""
    name = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-reenqueue"
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(name)
    yield name
    client.delete(name)


def _sent_runs(queue):
    """(task name, run id, task id) of every message waiting in the broker's ``queue``."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    sent = []
    for raw in client.lrange(queue, 0, -1):
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        sent.append((message["headers"]["task"], *args, message["headers"]["id"]))
    return sorted(sent)


@pytest.mark.django_db
def test_reaper_reenqueues_a_lost_message_once(settings, unconsumed_queue):
    settings.JOBS_REENQUEUE_AFTER_SECONDS = 600
    now = timezone.now()

    def queued(name, **fields):
        return RunFactory(status="queued", queue=unconsumed_queue, task_id=f"t-{name}", **fields)

    old = queued("old", created_at=now - dt.timedelta(minutes=11))
    fresh = queued("fresh", created_at=now - dt.timedelta(minutes=1))
    delayed = queued("delayed", created_at=now - dt.timedelta(minutes=20), not_before=now + dt.timedelta(minutes=5))
    assert _sent_runs(unconsumed_queue) == []
    assert runs_reap(now=now)["reenqueued"] == 1
    assert _sent_runs(unconsumed_queue) == [("jobs.execute_run", old.pk, "t-old")]
    assert runs_reap(now=now + dt.timedelta(minutes=30))["reenqueued"] == 2  # fresh and delayed, not old again
    assert _sent_runs(unconsumed_queue) == sorted(
        ("jobs.execute_run", run.pk, run.task_id) for run in (old, fresh, delayed)
    )
    old.refresh_from_db()
    assert old.reenqueued_at == now


@pytest.mark.django_db
def test_reaper_finishes_cancelling_runs_past_the_grace(settings):
    settings.JOBS_CANCEL_GRACE_SECONDS = 30
    now = timezone.now()
    stuck = RunFactory(status="cancelling", cancel_requested_at=now - dt.timedelta(minutes=1), task_id="t-stuck",
                       heartbeat_at=now)
    recent = RunFactory(status="cancelling", cancel_requested_at=now - dt.timedelta(seconds=5), task_id="t-recent",
                        heartbeat_at=now)
    assert runs_reap(now=now)["cancelled"] == 1
    stuck.refresh_from_db()
    recent.refresh_from_db()
    assert stuck.status == "cancelled" and recent.status == "cancelling"


@pytest.mark.django_db
def test_reaper_releases_a_held_run_whose_blocker_ended():
    job = JobFactory()
    RunFactory(job=job, status="success")
    held = run_create(job=job, hold=True)
    assert held.held
    assert runs_reap()["released"] == 1
    held.refresh_from_db()
    assert not held.held and held.status == "queued"


@pytest.mark.django_db
def test_reap_lost_runs_job_is_scheduled_every_minute_by_migration():
    job = Job.objects.get(task_type="reap_lost_runs")
    assert job.title == "Reap lost runs" and job.available
    assert job.periodic_task.interval.every == 60 and job.periodic_task.enabled
    assert job.periodic_task.task == "jobs.fire_schedule"
