"""``manage.py jobs export`` / ``jobs apply``: the plan printed, exit 2 on a bad file, nothing stored."""

import io

import pytest
from django.core.management import CommandError, call_command

from jobs.models import Job
from tests.factories import JobFactory

pytestmark = pytest.mark.django_db


def jobs(*args) -> str:
    out = io.StringIO()
    call_command("jobs", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_export_to_a_file_then_apply_prints_no_changes(tmp_path):
    JobFactory(title="Echo nightly", task_type="test_echo", default_args={"lines": 2})
    path = tmp_path / "jobs.toml"
    assert "to " + str(path) in jobs("export", "--file", str(path))
    assert "[jobs.echo-nightly]" in path.read_text()
    assert jobs("export") == path.read_text()
    assert "No changes: the database matches the file." in jobs("apply", str(path))


def test_apply_prints_the_plan_then_applies_and_dry_run_does_not(tmp_path):
    path = tmp_path / "jobs.toml"
    path.write_text('[jobs.new-echo]\ntitle = "New echo"\ntype = "test_echo"\ndefaults = { lines = 4 }\n')
    out = jobs("apply", str(path), "--dry-run")
    assert "+ create jobs.new-echo (New echo)" in out and "    + defaults.lines = 4" in out
    assert out.strip().endswith("Dry run: nothing changed.") and not Job.objects.filter(key="new-echo").exists()
    out = jobs("apply", str(path))
    assert "Plan: 1 to create, 0 to change, 0 to delete." in out and out.strip().endswith("Applied.")
    assert Job.objects.get(key="new-echo").default_args == {"lines": 4}


def test_a_bad_file_exits_2_listing_every_problem_and_stores_nothing(tmp_path):
    path = tmp_path / "jobs.toml"
    path.write_text(
        '[jobs.a]\ntitle = "A"\ntype = "test_echo"\ndefaults = { lines = "many" }\n'
        '[jobs.b]\ntitle = "B"\ntype = "nope"\n'
        '[jobs.c]\ntitle = "C"\ntype = "test_echo"\n'
    )
    with pytest.raises(CommandError) as refused:
        jobs("apply", str(path))
    assert refused.value.returncode == 2
    message = str(refused.value)
    assert "nothing changed" in message and "jobs.a.defaults: lines" in message and "jobs.b.type" in message
    assert not Job.objects.filter(key__in=["a", "b", "c"]).exists()


def test_apply_reads_jobsite_jobs_file_and_says_when_there_is_none(tmp_path, settings):
    settings.JOBSITE_JOBS_FILE = ""
    assert "JOBSITE_JOBS_FILE is not set: nothing to apply" in jobs("apply")
    path = tmp_path / "site.toml"
    path.write_text('[jobs.from-setting]\ntitle = "From setting"\ntype = "test_echo"\n')
    settings.JOBSITE_JOBS_FILE = str(path)
    jobs("apply")
    assert Job.objects.filter(key="from-setting").exists()


def test_a_missing_file_exits_2(tmp_path):
    with pytest.raises(CommandError, match="cannot read jobs file") as refused:
        jobs("apply", str(tmp_path / "missing.toml"))
    assert refused.value.returncode == 2
