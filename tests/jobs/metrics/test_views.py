"""Scraping /metrics after a handful of runs: every family's values against the database."""

import datetime as dt

import pytest
from django.db.models import Count
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from jobs.metrics import models
from jobs.models import Run
from jobs.runs.execution import run_execute
from jobs.runs.services import run_create
from jobs.scheduling.store import schedule_set
from tests.factories import JobFactory, RunFactory

pytestmark = pytest.mark.django_db
TOKEN = "scrape-token"


@pytest.fixture
def scrape(client, settings):
    settings.JOBS_METRICS_TOKEN = TOKEN

    def get():
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200, response.content
        families = {f.name: f for f in text_string_to_metric_families(response.content.decode())}
        return families

    return get


def samples(family, name=None, **labels):
    return [
        s for s in family.samples
        if (name is None or s.name == name) and all(s.labels.get(k) == v for k, v in labels.items())
    ]


def value(family, name=None, **labels):
    found = samples(family, name, **labels)
    assert len(found) == 1, (name, labels, found)
    return found[0].value


def test_off_when_neither_token_nor_allow_list(client, settings):
    settings.JOBS_METRICS_TOKEN = ""
    settings.JOBS_METRICS_ALLOW = []
    assert client.get("/metrics").status_code == 404


def test_token_and_allow_list(client, settings):
    settings.JOBS_METRICS_TOKEN = TOKEN
    settings.JOBS_METRICS_ALLOW = []
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    settings.JOBS_METRICS_TOKEN = ""
    settings.JOBS_METRICS_ALLOW = ["127.0.0.0/8"]  # the test client's REMOTE_ADDR
    assert client.get("/metrics").status_code == 200
    settings.JOBS_METRICS_ALLOW = ["10.0.0.0/8"]
    assert client.get("/metrics").status_code == 401


def _history():
    """Real runs in-process plus stored runs with known times."""
    now = timezone.now()
    echo = JobFactory(title="Echo job", task_type="test_echo")
    fail = JobFactory(title="Failing job", task_type="test_fail")
    for _ in range(3):
        run_execute(run_id=run_create(job=echo, args={"lines": 1}, enqueue=False).pk)
    run_execute(run_id=run_create(job=fail, enqueue=False).pk)
    timed = JobFactory(title="Timed job", task_type="test_echo")
    schedule_set(job=timed, every=3600)
    base = now - dt.timedelta(hours=2)
    RunFactory(job=timed, status=Run.Status.SUCCESS, trigger=Run.Trigger.SCHEDULE, created_at=base,
               due_at=base, started_at=base + dt.timedelta(seconds=3), finished_at=base + dt.timedelta(seconds=45),
               counters={"created": 7, "updated": 2})
    RunFactory(job=timed, status=Run.Status.SUCCESS, trigger=Run.Trigger.SCHEDULE, created_at=base + dt.timedelta(hours=1),
               due_at=base + dt.timedelta(hours=1), started_at=base + dt.timedelta(hours=1, seconds=20),
               finished_at=base + dt.timedelta(hours=1, seconds=20 + 400), counters={"created": 1, "updated": 5})
    RunFactory(job=timed, status=Run.Status.SKIPPED, trigger=Run.Trigger.SCHEDULE, created_at=now,
               due_at=now - dt.timedelta(minutes=30), message="missed: due ..., fired 1800 s late (grace 300 s)")
    RunFactory(job=timed, status=Run.Status.SKIPPED, trigger=Run.Trigger.SCHEDULE, created_at=now,
               due_at=now - dt.timedelta(minutes=1), message="skipped: run 1 is still running")
    RunFactory(job=timed, status=Run.Status.RUNNING, created_at=now - dt.timedelta(minutes=10),
               started_at=now - dt.timedelta(minutes=9), heartbeat_at=now - dt.timedelta(seconds=90))
    RunFactory(job=echo, status=Run.Status.QUEUED, created_at=now - dt.timedelta(minutes=3))
    return echo, fail, timed


@pytest.mark.parametrize("fold_seconds", [60, 0], ids=["runs-read", "runs-folded"])
def test_each_family_matches_the_database(scrape, settings, fold_seconds, django_assert_max_num_queries):
    settings.JOBS_METRICS_FOLD_SECONDS = fold_seconds  # 0: every ended run comes from the stored fold
    echo, fail, timed = _history()
    with django_assert_max_num_queries(23):  # the fold's moves included (tests/jobs/metrics/test_fold.py)
        families = scrape()

    # jobsite_runs_total: one sample per (job, status, trigger) group of stored runs.
    runs = families["jobsite_runs"]
    groups = Run.objects.values("job_id", "status", "trigger").annotate(n=Count("pk")).order_by()
    assert len(samples(runs, "jobsite_runs_total")) == len(groups)
    for group in groups:
        assert value(runs, "jobsite_runs_total", job_id=str(group["job_id"]), status=group["status"],
                     trigger=group["trigger"]) == group["n"]
    assert value(runs, "jobsite_runs_total", job="Echo job", status="success", trigger="admin", type="test_echo") == 3

    # Durations: count and sum per job, buckets cumulative.
    duration = families["jobsite_run_duration_seconds"]
    for job in (echo, fail, timed):
        finished = Run.objects.filter(job=job, started_at__isnull=False, finished_at__isnull=False)
        seconds = [(r.finished_at - r.started_at).total_seconds() for r in finished]
        assert value(duration, "jobsite_run_duration_seconds_count", job_id=str(job.pk)) == len(seconds)
        assert value(duration, "jobsite_run_duration_seconds_sum", job_id=str(job.pk)) == pytest.approx(sum(seconds))
        for bound in (60.0, 600.0):
            expected = sum(1 for s in seconds if s <= bound)
            assert value(duration, "jobsite_run_duration_seconds_bucket", job_id=str(job.pk), le=str(bound)) == expected
    assert value(duration, "jobsite_run_duration_seconds_bucket", job_id=str(timed.pk), le="60.0") == 1

    # Last success and last outcome.
    last = families["jobsite_job_last_success_timestamp_seconds"]
    newest = Run.objects.filter(job=timed, status="success").order_by("-created_at").first()
    assert value(last, job_id=str(timed.pk)) == pytest.approx(newest.finished_at.timestamp())
    assert samples(last, job_id=str(fail.pk)) == []
    status = families["jobsite_job_last_run_status"]
    assert value(status, job_id=str(fail.pk), status="failed") == 1
    assert value(status, job_id=str(fail.pk), status="success") == 0
    assert value(status, job_id=str(timed.pk), status="success") == 1  # skipped ticks are not outcomes
    counters = families["jobsite_job_last_run_counter"]
    assert value(counters, job_id=str(timed.pk), counter="created") == 1
    assert value(counters, job_id=str(timed.pk), counter="updated") == 5
    assert value(families["jobsite_job_schedule_interval_seconds"], job_id=str(timed.pk)) == 3600
    assert samples(families["jobsite_job_schedule_interval_seconds"], job_id=str(echo.pk)) == []

    # Active runs.
    active = families["jobsite_runs_active"]
    assert value(active, status="running") == Run.objects.filter(status="running").count() == 1
    assert value(active, status="queued") == Run.objects.filter(status="queued").count() == 1
    assert value(active, status="cancelling") == 0
    assert value(families["jobsite_runs_heartbeat_age_max_seconds"]) == pytest.approx(90, abs=5)
    assert value(families["jobsite_runs_active_oldest_age_seconds"], status="queued") == pytest.approx(180, abs=5)

    # Queue wait and schedule lateness over started runs.
    started = Run.objects.filter(started_at__isnull=False)
    wait = families["jobsite_queue_wait_seconds"]
    assert value(wait, "jobsite_queue_wait_seconds_count") == started.count()
    expected = sum((r.started_at - (r.not_before or r.created_at)).total_seconds() for r in started)
    assert value(wait, "jobsite_queue_wait_seconds_sum") == pytest.approx(expected)
    late = families["jobsite_schedule_lateness_seconds"]
    assert value(late, "jobsite_schedule_lateness_seconds_count") == 2
    assert value(late, "jobsite_schedule_lateness_seconds_sum") == pytest.approx(23)
    assert value(late, "jobsite_schedule_lateness_seconds_bucket", le="5.0") == 1

    skipped = families["jobsite_scheduled_ticks_skipped"]
    assert value(skipped, reason="missed") == 1
    assert value(skipped, reason="overlap") == 1

    assert "jobsite_vocabulary_records" in families


def test_vocabulary_records(scrape):
    from vocabularies.models import Affiliation

    Affiliation.objects.create(ror_id="00test001", name="Test University", status="active")
    family = scrape()["jobsite_vocabulary_records"]
    assert value(family, vocabulary="affiliations") == 1
    assert value(family, vocabulary="names") == 0


def test_scrape_costs_the_same_queries_for_more_history(scrape, settings, django_assert_num_queries):
    settings.JOBS_METRICS_FOLD_SECONDS = 0  # every scrape moves the fold on
    _history()
    # jobs, schedules, active runs, vocabularies; the fold's state row and the deleted runs; moving the fold on:
    # the new watermark, the runs below it, the stored counts and histograms of their jobs read and written,
    # their jobs' newest runs found, written and the others' deleted, the state row written; then the stored
    # counts, histograms and newest runs, the runs not folded (their totals, the finished ones); the savepoint
    # of the fold's transaction (2, in a test).
    with django_assert_num_queries(23):
        scrape()
    for job in [JobFactory(task_type="test_echo") for _ in range(5)]:
        RunFactory.create_batch(4, job=job, started_at=timezone.now(), finished_at=timezone.now())
    with django_assert_num_queries(23):
        scrape()
    settings.JOBS_METRICS_FOLD_SECONDS = 3600  # not due: the fold is only read
    with django_assert_num_queries(13):
        scrape()


def test_bucket_bounds_are_increasing():
    for bounds in models.HISTOGRAMS.values():
        assert list(bounds) == sorted(set(bounds))


def test_a_renamed_job_is_scraped_with_its_new_title(scrape):
    job = JobFactory(title="Old title", task_type="test_echo")
    RunFactory(job=job, finished_at=timezone.now())
    assert value(scrape()["jobsite_job_active"], job_id=str(job.pk)) == 1
    job.title = 'New "title"'
    job.save()
    families = scrape()
    assert [s.labels["job"] for s in samples(families["jobsite_job_active"], job_id=str(job.pk))] == ['New "title"']
    assert {s.labels["job"] for s in samples(families["jobsite_runs"], job_id=str(job.pk))} == {'New "title"'}
