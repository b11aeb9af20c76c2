"""Job.last_runs / last_run (right answer, constant queries) and Run's derived values."""

import datetime as dt

import pytest
from django.utils import timezone

from jobs.models import Job, Run, attach_last_run, attach_last_runs
from tests.factories import JobFactory, RunFactory

Status = Run.Status


def _runs(job, base):
    """Runs of ``job`` at minutes after ``base``; returns {name: run}."""
    made = {}
    for name, status, minute in [
        ("old_success", Status.SUCCESS, 1),
        ("failed", Status.FAILED, 2),
        ("new_success", Status.SUCCESS, 3),
        ("tie_a", Status.SKIPPED, 4),
        ("tie_b", Status.SKIPPED, 4),  # same created_at: the higher pk is newer
        ("queued", Status.QUEUED, 5),
    ]:
        made[name] = RunFactory(job=job, status=status, created_at=base + dt.timedelta(minutes=minute))
    return made


@pytest.mark.django_db
def test_last_runs_maps_every_status_to_its_newest_run(django_assert_num_queries):
    job = JobFactory()
    other = JobFactory()
    base = timezone.now() - dt.timedelta(hours=1)
    runs = _runs(job, base)
    RunFactory(job=other, status=Status.SUCCESS, created_at=base + dt.timedelta(minutes=30))

    fresh = Job.objects.get(pk=job.pk)
    with django_assert_num_queries(2):
        last_runs = fresh.last_runs
    assert set(last_runs) == set(Status.values)
    assert last_runs[Status.SUCCESS] == runs["new_success"]
    assert last_runs[Status.FAILED] == runs["failed"]
    assert last_runs[Status.SKIPPED] == runs["tie_b"]
    assert last_runs[Status.QUEUED] == runs["queued"]
    assert last_runs[Status.RUNNING] is None and last_runs[Status.CANCELLED] is None
    with django_assert_num_queries(1):
        assert fresh.last_run == runs["queued"]
    with django_assert_num_queries(0):
        fresh.last_runs  # noqa: B018 - cached


@pytest.mark.django_db
def test_newest_for_lists_one_jobs_runs_newest_first_the_higher_pk_breaking_ties():
    job, other = JobFactory(), JobFactory()
    base = timezone.now() - dt.timedelta(hours=1)
    runs = _runs(job, base)
    RunFactory(job=other, created_at=base + dt.timedelta(minutes=30))
    order = ["queued", "tie_b", "tie_a", "new_success", "failed", "old_success"]
    assert list(Run.objects.newest_for(job)) == [runs[name] for name in order]
    assert list(Run.objects.newest_for(job.pk).filter(status=Status.SKIPPED)) == [runs["tie_b"], runs["tie_a"]]
    assert Run.objects.newest_for(job).first() == job.last_run == runs["queued"]


@pytest.mark.django_db
def test_attach_last_run_loads_a_pages_newest_runs_in_one_query(django_assert_num_queries):
    base = timezone.now() - dt.timedelta(hours=1)
    with_runs, without = JobFactory(), JobFactory()
    runs = _runs(with_runs, base)
    page = list(Job.objects.filter(pk__in=[with_runs.pk, without.pk]).with_run_stats().order_by("pk"))
    with django_assert_num_queries(1):
        jobs = attach_last_run(page)
    with django_assert_num_queries(0):
        assert [job.last_run for job in jobs] == [runs["queued"], None]
        assert jobs[0].last_run.status == Status.QUEUED


@pytest.mark.django_db
def test_a_job_without_runs_has_none_everywhere():
    job = JobFactory()
    assert job.last_run is None
    assert all(run is None for run in job.last_runs.values())


@pytest.mark.django_db
@pytest.mark.parametrize("job_count", [1, 6])
def test_a_page_of_jobs_gets_its_last_runs_in_two_queries(django_assert_num_queries, job_count):
    base = timezone.now() - dt.timedelta(hours=1)
    expected = {}
    for _ in range(job_count):
        job = JobFactory()
        expected[job.pk] = _runs(job, base)
    with django_assert_num_queries(2):
        jobs = attach_last_runs(Job.objects.filter(pk__in=expected).with_run_stats().with_last_runs())
        for job in jobs:
            assert job.last_run == expected[job.pk]["queued"]
            assert job.last_runs[Status.SUCCESS] == expected[job.pk]["new_success"]
            assert job.run_count == 6


@pytest.mark.django_db
def test_run_duration_progress_and_querysets():
    now = timezone.now()
    run = RunFactory(
        status=Status.SUCCESS, started_at=now - dt.timedelta(seconds=90), finished_at=now,
        progress_done=3, progress_total=4,
    )
    assert run.duration == dt.timedelta(seconds=90)
    assert run.progress_percent == 75.0
    assert RunFactory(status=Status.QUEUED).duration is None
    assert RunFactory(progress_done=5, progress_total=0).progress_percent is None
    assert RunFactory(progress_done=9, progress_total=4).progress_percent == 100.0
    active = RunFactory(status=Status.CANCELLING)
    assert set(Run.objects.active()) == {active} | set(Run.objects.filter(status=Status.QUEUED))
    assert run in Run.objects.finished() and active not in Run.objects.finished()


@pytest.mark.django_db
def test_job_create_refuses_run_control_settings_that_cannot_work():
    from django.core.exceptions import ValidationError

    from jobs.services import job_create

    with pytest.raises(ValidationError) as excinfo:
        job_create(title="x", task_type="test_echo", soft_time_limit=60, time_limit=30,
                   notify_emails="ops@example.org, not-an-address", slow_factor=0.5)
    assert set(excinfo.value.message_dict) == {"soft_time_limit", "notify_emails", "slow_factor"}
    assert "not-an-address" in excinfo.value.message_dict["notify_emails"][0]
    assert not Job.objects.filter(title="x").exists()


@pytest.mark.django_db
def test_deleting_a_job_deletes_its_runs_log_lines():
    from django.utils import timezone

    from jobs.models import RunLog

    run = RunFactory()
    other = RunFactory()
    RunLog.objects.bulk_create(
        [RunLog(run=r, seq=i, created_at=timezone.now(), level=20, logger="t", message="m") for r in (run, other) for i in (1, 2)]
    )
    run.job.delete()
    assert set(RunLog.objects.values_list("run_id", flat=True)) == {other.pk}


@pytest.mark.django_db
def test_a_log_line_is_keyed_by_its_run_and_sequence():
    from django.db import IntegrityError, connection, transaction
    from django.utils import timezone

    from jobs.models import RunLog

    run = RunFactory()
    RunLog.objects.create(run=run, seq=1, created_at=timezone.now(), level=20, logger="t", message="first")
    with pytest.raises(IntegrityError), transaction.atomic():
        RunLog.objects.create(run=run, seq=1, created_at=timezone.now(), level=20, logger="t", message="again")
    line = RunLog.objects.get(pk=(run.pk, 1))
    assert line.message == "first"
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor, "jobs_runlog")}
        constraints = connection.introspection.get_constraints(cursor, "jobs_runlog")
    assert "id" not in columns
    assert [c["columns"] for c in constraints.values() if c["primary_key"]] == [["run_id", "seq"]]
    # Only warnings and errors get an entry in the level filter's index.
    warning_index = constraints["runlog_run_warning_idx"]
    assert warning_index["columns"] == ["run_id", "seq"] and not warning_index["unique"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'runlog_run_warning_idx'")
        assert cursor.fetchone()[0].endswith("WHERE (level >= 30)")
