"""The schedule command: set, show, clear; bad input exits 2 with a reason."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import JobFactory


def _call(*args):
    from io import StringIO

    out = StringIO()
    call_command("jobs", "schedule", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_set_show_and_clear():
    job = JobFactory(title="Nightly import")
    out = _call(str(job.pk), "--cron", "0 3 * * *", "--tz", "Europe/Zurich")
    assert out.splitlines()[0] == f"{job.pk} Nightly import: At 03:00 (Europe/Zurich)"
    assert len([line for line in out.splitlines() if line.startswith("  next: ")]) == 5
    assert "+01:00" in out or "+02:00" in out
    assert _call("Nightly import", "--every", "1h").splitlines()[0].endswith("Every hour")
    assert "Once at 2099-12-01T02:00:00+00:00" in _call(str(job.pk), "--at", "2099-12-01T03:00+01:00")
    assert _call(str(job.pk), "--off").strip() == f"{job.pk} Nightly import: Not scheduled"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--cron", "0 3 * *"], "needs 5 fields"),
        (["--cron", "0 3 * * *", "--tz", "Nowhere/Land"], "unknown time zone"),
        (["--every", "often"], "positive number"),
        (["--at", "2001-01-01T00:00Z"], "in the past"),
        (["--every", "1h", "--tz", "Europe/Zurich"], "--tz applies to --cron only"),
    ],
)
def test_bad_input_exits_2_with_the_reason(args, reason):
    job = JobFactory()
    with pytest.raises(CommandError, match=reason) as info:
        _call(str(job.pk), *args)
    assert info.value.returncode == 2


@pytest.mark.django_db
def test_unknown_job_exits_2():
    with pytest.raises(CommandError, match="unknown job") as info:
        _call("99999", "--every", "1h")
    assert info.value.returncode == 2


@pytest.mark.django_db
def test_jobs_list_shows_schedule_and_next_run():
    from io import StringIO

    from jobs.scheduling.store import schedule_set

    schedule_set(job=JobFactory(title="Hourly sync"), every="1h")
    JobFactory(title="Manual only")
    out = StringIO()
    call_command("jobs", "list", stdout=out)
    text = out.getvalue()
    assert "Schedule" in text and "Next run" in text
    hourly = next(line for line in text.splitlines() if "Hourly sync" in line)
    assert "Every hour" in hourly and ":00 UTC" in hourly
    manual = next(line for line in text.splitlines() if "Manual only" in line)
    assert "Not scheduled" in manual


@pytest.mark.django_db(transaction=True)
def test_bad_input_exits_2_from_the_shell():
    import subprocess
    import sys

    from tests.conftest import ROOT, worker_env

    job = JobFactory()
    result = subprocess.run(
        [sys.executable, "manage.py", "jobs", "schedule", str(job.pk), "--cron", "not a cron"],
        cwd=ROOT, capture_output=True, text=True, env=worker_env(),
    )
    assert result.returncode == 2
    assert "crontab 'not a cron' needs 5 fields" in result.stderr
