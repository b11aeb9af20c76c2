"""Jobs as code against the database: export, apply round trip, dry run, all-or-nothing, prune."""

import pytest

from jobs.jobsfile import JobsFileInvalid
from jobs.jobsfile_services import job_state, jobsfile_apply, jobsfile_export
from jobs.models import Job, Run
from jobs.scheduling.store import job_spec, schedule_set
from tests.factories import JobFactory, RunFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def jobs():
    nightly = JobFactory(title="Nightly echo", task_type="test_echo", default_args={"lines": 3}, max_retries=2,
                         notify_emails="ops@example.org, dev@example.org", notify_on=["failed"], slow_factor=3)
    schedule_set(job=nightly, cron="0 3 * * *", tz="Europe/Zurich")
    hourly = JobFactory(title="Hourly", task_type="test_echo", active=False, time_limit=600, soft_time_limit=500)
    schedule_set(job=hourly, every="1h")
    return nightly, hourly


def snapshot():
    return {job.key: job_state(job) for job in Job.objects.order_by("pk")}, list(
        Job.objects.values_list("pk", "updated_at").order_by("pk")
    )


def test_export_gives_keys_and_applying_it_changes_nothing(jobs):
    text = jobsfile_export()
    assert Job.objects.filter(key=None).count() == 0
    assert {"nightly-echo", "hourly"} <= set(Job.objects.values_list("key", flat=True))
    assert 'cron = "0 3 * * *"' in text and 'timezone = "Europe/Zurich"' in text and 'every = "1h"' in text
    before = snapshot()
    plan = jobsfile_apply(text=text)
    assert plan.changes == []
    assert snapshot() == before
    assert jobsfile_export() == text


def test_apply_creates_and_changes_field_by_field_and_sets_schedules(jobs):
    nightly, hourly = jobs
    text = jobsfile_export()
    text = text.replace('cron = "0 3 * * *"', 'cron = "30 4 * * 1-5"').replace("lines = 3", "lines = 7")
    text += '\n[jobs.fresh]\ntitle = "Fresh"\ntype = "test_echo"\nschedule = { every = "15m" }\n'
    plan = jobsfile_apply(text=text)
    assert [(c.action, c.key) for c in plan.changes] == [("create", "fresh"), ("change", "nightly-echo")]
    assert ("defaults.lines", 3, 7) in plan.changes[1].fields
    assert ("schedule.cron", "0 3 * * *", "30 4 * * 1-5") in plan.changes[1].fields
    nightly.refresh_from_db()
    assert nightly.default_args["lines"] == 7 and job_spec(nightly).expression() == "30 4 * * 1-5"
    fresh = Job.objects.get(key="fresh")
    assert job_spec(fresh).seconds == 900 and fresh.periodic_task.enabled
    assert jobsfile_apply(text=text).changes == []  # applied: the file and the database agree


def test_dry_run_changes_nothing(jobs):
    text = jobsfile_export().replace("lines = 3", "lines = 9") + '\n[jobs.x]\ntitle = "X"\ntype = "test_echo"\n'
    before = snapshot()
    plan = jobsfile_apply(text=text, dry_run=True, prune=True)
    assert {c.action for c in plan.changes} == {"create", "change"}
    assert snapshot() == before and not Job.objects.filter(key="x").exists()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("lines = 3", 'lines = "many"'), "jobs.nightly-echo.defaults: lines: Not a valid integer."),
        (('overlap_policy = "skip"', 'overlap_policy = "sometimes"'), "overlap_policy"),
        (('type = "test_echo"', 'type = "not_installed"'), "job type 'not_installed' is not installed"),
        (("max_retries = 2", "max_retries = -1"), "max_retries"),
        (('timezone = "Europe/Zurich"', 'timezone = "Mars/Olympus"'), "unknown time zone"),
    ],
)
def test_one_bad_value_rejects_the_whole_file(jobs, edit, message):
    text = jobsfile_export()
    good_change = text.replace("time_limit = 600", "time_limit = 700")  # valid, in another job
    bad = good_change.replace(*edit, 1) + '\n[jobs.new]\ntitle = "New"\ntype = "test_echo"\n'
    assert bad != good_change
    before = snapshot()
    with pytest.raises(JobsFileInvalid) as invalid:
        jobsfile_apply(text=bad)
    assert message in "\n".join(invalid.value.errors)
    assert snapshot() == before and not Job.objects.filter(key="new").exists()


def test_a_type_cannot_change_and_a_past_one_off_is_refused(jobs):
    text = jobsfile_export().replace('type = "test_echo"', 'type = "test_fail"', 1)
    with pytest.raises(JobsFileInvalid, match="a job's type cannot change"):
        jobsfile_apply(text=text)
    text = jobsfile_export() + '\n[jobs.late]\ntitle = "Late"\ntype = "test_echo"\nschedule = { at = 2001-01-01T00:00:00Z }\n'
    with pytest.raises(JobsFileInvalid, match="is in the past"):
        jobsfile_apply(text=text)


def test_jobs_not_in_the_file_are_kept_unless_pruned(jobs):
    nightly, hourly = jobs
    RunFactory(job=hourly)
    text = jobsfile_export()
    without_hourly = text[: text.index("[jobs.hourly]")] + text[text.index("[jobs.nightly-echo]"):]
    plan = jobsfile_apply(text=without_hourly)
    assert plan.changes == [] and plan.kept == ["hourly"]
    assert Job.objects.filter(pk=hourly.pk).exists()
    plan = jobsfile_apply(text=without_hourly, prune=True)
    assert [(c.action, c.key) for c in plan.changes] == [("delete", "hourly")]
    assert not Job.objects.filter(pk=hourly.pk).exists() and not Run.objects.filter(job_id=hourly.pk).exists()
