"""``manage.py jobs``: output, exit codes and what gets stored, for good and bad input."""

import datetime as dt
import io
import json
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from jobs.models import Job, Run, RunLog
from tests.conftest import ROOT, wait_for, worker_env
from tests.factories import JobFactory, RunFactory

worker_db = pytest.mark.django_db(transaction=True)


def jobs(*args):
    """Call ``manage.py jobs``; return (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command("jobs", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def jobs_error(*args) -> CommandError:
    with pytest.raises(CommandError) as info:
        jobs(*args)
    return info.value


# --- list / runs ----------------------------------------------------------------------


@pytest.mark.django_db
def test_list_shows_types_jobs_and_their_last_run():
    echo = JobFactory(title="Nightly echo", task_type="test_echo")
    RunFactory(job=echo, status=Run.Status.FAILED)
    last = RunFactory(job=echo, status=Run.Status.SUCCESS)
    JobFactory(title="Old plugin job", task_type="gone_plugin", active=False)
    out, _ = jobs("list")
    assert "Job types" in out and "Jobs" in out
    type_line = next(line for line in out.splitlines() if line.strip().startswith("test_echo "))
    assert "Echo" in type_line and "Log a message" in type_line
    assert "purge_runs" in out  # the project's own entry point
    echo_line = next(line for line in out.splitlines() if "Nightly echo" in line)
    assert f"success {timezone.localtime(last.created_at):%Y-%m-%d %H:%M}" in echo_line
    assert f"(run {last.pk})" in echo_line and " yes " in echo_line
    gone_line = next(line for line in out.splitlines() if "Old plugin job" in line)
    assert "gone_plugin (not installed)" in gone_line and "never run" in gone_line and " no " in gone_line


@pytest.mark.django_db
def test_runs_filters_by_job_type_status_and_limit():
    a = JobFactory(title="Job A", task_type="test_echo")
    b = JobFactory(title="Job B", task_type="test_fail")
    ok = RunFactory(job=a, status=Run.Status.SUCCESS, message="all good")
    bad = RunFactory(job=b, status=Run.Status.FAILED, message="RuntimeError: boom")
    out, _ = jobs("runs")
    assert "all good" in out and "RuntimeError: boom" in out
    out, _ = jobs("runs", "--job", str(a.pk))
    assert "all good" in out and "boom" not in out
    out, _ = jobs("runs", "--job", "test_fail")
    assert "boom" in out and "all good" not in out
    out, _ = jobs("runs", "--status", "failed")
    assert out.splitlines()[1].startswith(f"{bad.pk}\t") and "all good" not in out
    out, _ = jobs("runs", "--limit", "1")
    assert "boom" in out and "all good" not in out  # newest first
    assert ok.pk
    assert jobs_error("runs", "--job", "nothing_like_it").returncode == 2
    assert jobs_error("runs", "--job", "99999").returncode == 2


@pytest.mark.django_db
def test_runs_says_when_there_is_nothing_to_list_and_quick_runs_take_ms():
    out, _ = jobs("runs")
    assert out.strip() == "no runs yet"
    start = timezone.now()
    RunFactory(status=Run.Status.SUCCESS, started_at=start, finished_at=start + dt.timedelta(milliseconds=25))
    out, _ = jobs("runs", "--status", "failed")
    assert out.strip() == "no runs match"
    out, _ = jobs("runs")
    assert "25 ms" in out and "0.0 s" not in out


@pytest.mark.django_db
def test_runs_piped_is_tab_separated_and_json_on_request():
    job = JobFactory(title="Job A", task_type="test_echo")
    run = RunFactory(job=job, status=Run.Status.SUCCESS, message="all\tgood\nreally", progress_done=15_000, progress_total=60_000)
    out, _ = jobs("runs")
    header, line = out.splitlines()
    assert header.split("\t") == ["ID", "Job", "Status", "Trigger", "Created", "Duration", "Progress", "Message"]
    cells = line.split("\t")
    assert cells[0] == str(run.pk) and cells[2] == "success" and cells[-1] == "all good really"
    assert cells[6].startswith("15,000 of 60,000 records (25.0%)")
    assert max(len(row) for row in out.splitlines()) < 160  # no padding to a fixed width
    out, _ = jobs("runs", "--json")
    data = json.loads(out)
    assert [(r["id"], r["job_title"], r["status"], r["progress_done"], r["message"]) for r in data] == [
        (run.pk, "Job A", "success", 15_000, "all\tgood\nreally")
    ]
    assert json.loads(jobs("runs", "--json", "--status", "failed")[0]) == []


# --- run: queued ----------------------------------------------------------------------


@pytest.mark.django_db
def test_run_queues_a_cli_run_with_parsed_arguments():
    job = JobFactory(task_type="test_echo", default_args={"message": "default"})
    out, _ = jobs("run", str(job.pk), "--arg", "lines=2")
    run = Run.objects.get(job=job)
    assert run.status == Run.Status.QUEUED and run.trigger == Run.Trigger.CLI
    assert run.args == {"message": "default", "lines": 2}
    assert f"run {run.pk} of job {job.pk}" in out and "queued" in out


@pytest.mark.django_db
def test_run_parses_lists_mappings_and_json_by_schema():
    job = JobFactory(task_type="test_fields")
    jobs(
        "run", str(job.pk),
        "--json", '{"text": "from json", "count": 7, "mode": "slow"}',
        "--arg", "text=from arg",
        "--arg", "tags=a, b", "--arg", "tags=c",
        "--arg", 'extra={"k": [1, 2]}',
        "--arg", "raw=[1, 2]",
        "--arg", "amount=1.50",
        "--arg", "flag=yes",
        "--arg", "when=2026-01-02T03:04:05+01:00",
        "--arg", "day=2026-01-02",
    )
    args = Run.objects.get(job=job).args
    assert args["text"] == "from arg" and args["count"] == 7 and args["mode"] == "slow"
    assert args["tags"] == ["a", "b", "c"]
    assert args["extra"] == {"k": [1, 2]} and args["raw"] == [1, 2]
    assert args["amount"] == "1.50" and args["flag"] is True
    assert args["when"] == "2026-01-02T03:04:05+01:00" and args["day"] == "2026-01-02"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--arg", "lines=many"], "lines: Not a valid integer."),
        (["--arg", "lines=-1"], "lines: Must be greater than or equal to 0"),
        (["--arg", "colour=red"], "colour: Unknown field."),
        (["--arg", "lines"], "--arg: 'lines' is not key=value."),
        (["--arg", "lines=1", "--arg", "lines=2"], "lines: Given more than once."),
        (["--json", "{nope"], "--json: Not valid JSON"),
        (["--json", "[1]"], "--json: Must be a JSON object."),
    ],
)
def test_invalid_arguments_exit_2_and_store_nothing(argv, expected):
    job = JobFactory(task_type="test_echo")
    error = jobs_error("run", str(job.pk), *argv)
    assert error.returncode == 2
    assert str(error).startswith(f"invalid arguments for job {job.pk} ({job.title}):")
    assert expected in str(error)
    assert Run.objects.count() == 0


@pytest.mark.django_db
def test_mapping_argument_needs_json():
    job = JobFactory(task_type="test_fields")
    error = jobs_error("run", str(job.pk), "--arg", "text=x", "--arg", "extra=k:1")
    assert error.returncode == 2 and "extra: Not valid JSON" in str(error)
    error = jobs_error("run", str(job.pk))
    assert "text: Missing data for required field." in str(error)
    assert Run.objects.count() == 0


@pytest.mark.django_db
def test_unknown_job_or_type_exits_2():
    assert jobs_error("run", "424242").returncode == 2
    error = jobs_error("run", "no_such_type")
    assert error.returncode == 2 and "unknown job 'no_such_type'" in str(error)
    job = JobFactory(task_type="gone_plugin")
    error = jobs_error("run", str(job.pk))
    assert error.returncode == 2 and "'gone_plugin' is not installed" in str(error)
    assert Run.objects.count() == 0


@pytest.mark.django_db
def test_type_id_uses_its_only_job_or_creates_one_and_refuses_to_guess():
    out, _ = jobs("run", "test_echo", "--arg", "lines=1")
    job = Job.objects.get(task_type="test_echo")
    assert job.title == "Echo" and f"created job {job.pk} (Echo) for job type 'test_echo'" in out
    jobs("run", "test_echo")
    assert Job.objects.filter(task_type="test_echo").count() == 1
    assert Run.objects.filter(job=job, trigger=Run.Trigger.CLI).count() == 2

    # Invalid arguments: neither the job nor the run is created.
    error = jobs_error("run", "test_fail", "--arg", "colour=red")
    assert error.returncode == 2 and "job type 'test_fail'" in str(error)
    assert not Job.objects.filter(task_type="test_fail").exists()
    assert Run.objects.count() == 2

    JobFactory(task_type="test_echo")
    error = jobs_error("run", "test_echo")
    assert error.returncode == 2 and "has several jobs" in str(error) and str(job.pk) in str(error)


# --- run: foreground and wait ---------------------------------------------------------


@pytest.mark.django_db
def test_foreground_prints_log_lines_and_summary():
    job = JobFactory(task_type="test_echo")
    out, _ = jobs("run", str(job.pk), "--foreground", "--arg", "message=hi", "--arg", "lines=3")
    run = Run.objects.get(job=job)
    assert run.status == Run.Status.SUCCESS and run.trigger == Run.Trigger.CLI
    for i in range(3):
        assert f"INFO    tests.jobtypes: line {i}: hi" in out
    assert f"run {run.pk} success in " in out and out.rstrip().endswith("echoed hi")


@pytest.mark.django_db
def test_foreground_failure_exits_1_after_printing_the_log():
    job = JobFactory(task_type="test_fail")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("jobs", "run", str(job.pk), "--foreground", "--arg", "reason=disk on fire", stdout=out, stderr=err)
    run = Run.objects.get(job=job)
    assert info.value.returncode == 1 and run.status == Run.Status.FAILED
    assert str(info.value).startswith(f"run {run.pk} failed in ") and "RuntimeError: disk on fire" in str(info.value)
    assert "WARNING tests.jobtypes: about to fail" in out.getvalue()


@pytest.mark.django_db
def test_foreground_partial_success_exits_3():
    job = JobFactory(task_type="test_partial")
    error = jobs_error("run", str(job.pk), "--foreground", "--arg", "bad=1")
    assert error.returncode == 3 and "partial_success" in str(error) and "errored=1" in str(error)


@worker_db
def test_foreground_executes_on_a_thread_with_committed_run():
    job = JobFactory(task_type="test_slow")
    out, _ = jobs("run", str(job.pk), "--foreground", "--arg", "seconds=0.3")
    run = Run.objects.get(job=job)
    assert run.status == Run.Status.SUCCESS and run.host and run.started_at
    assert "run_started" in out and f"run {run.pk} success" in out


@worker_db
def test_foreground_timeout_fails_the_run_and_exits_4():
    job = JobFactory(task_type="test_slow")
    error = jobs_error("run", str(job.pk), "--foreground", "--arg", "seconds=30", "--timeout", "0.5")
    run = Run.objects.get(job=job)
    assert error.returncode == 4 and "timed out after 0.5 s" in str(error)
    assert run.status == Run.Status.FAILED and run.finished_at and run.message == "timed out after 0.5 s (--timeout)"


@pytest.mark.worker
@worker_db
def test_wait_follows_the_worker_run(celery_worker):
    job = JobFactory(task_type="test_echo")
    out, _ = jobs("run", str(job.pk), "--wait", "--timeout", "60", "--arg", "message=via worker", "--arg", "lines=2")
    run = Run.objects.get(job=job)
    assert run.status == Run.Status.SUCCESS
    assert "line 1: via worker" in out and f"run {run.pk} success" in out

    failing = JobFactory(task_type="test_fail")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("jobs", "run", str(failing.pk), "--wait", "--timeout", "60", stdout=out, stderr=err)
    assert info.value.returncode == 1 and "RuntimeError: boom" in str(info.value)
    assert "about to fail" in out.getvalue()


@pytest.mark.worker
@worker_db
def test_wait_timeout_exits_4_and_leaves_the_run_going(celery_worker):
    job = JobFactory(task_type="test_slow")
    error = jobs_error("run", str(job.pk), "--wait", "--timeout", "0.5", "--arg", "seconds=3")
    run = Run.objects.get(job=job)
    assert error.returncode == 4 and f"run {run.pk} still" in str(error)
    wait_for(lambda: Run.objects.get(pk=run.pk).status == Run.Status.SUCCESS, message="slow run to end")


@pytest.mark.worker
@worker_db
def test_real_command_line_run_wait_and_bad_input(celery_worker):
    job = JobFactory(task_type="test_echo")
    command = [sys.executable, "manage.py", "jobs", "run", str(job.pk)]
    done = subprocess.run(
        [*command, "--arg", "message=subprocess", "--wait", "--timeout", "60"],
        cwd=ROOT, env=worker_env(), capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    run = Run.objects.get(job=job)
    assert run.status == Run.Status.SUCCESS and run.trigger == Run.Trigger.CLI
    assert "line 0: subprocess" in done.stdout and f"run {run.pk} success" in done.stdout

    bad = subprocess.run(
        [*command, "--arg", "lines=lots"], cwd=ROOT, env=worker_env(), capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2
    assert "lines: Not a valid integer." in bad.stderr and bad.stdout == ""
    assert Run.objects.count() == 1


# --- logs / cancel --------------------------------------------------------------------


def _log(run, seq, level, message):
    return RunLog(run=run, seq=seq, created_at=timezone.now(), level=level, logger="t", message=message)


@pytest.mark.django_db
def test_logs_prints_lines_in_order_and_filters_by_level():
    run = RunFactory(status=Run.Status.FAILED, message="no")
    RunLog.objects.bulk_create([_log(run, 2, 40, "second [bold]"), _log(run, 1, 20, "first"), _log(run, 3, 30, "third")])
    out, _ = jobs("logs", str(run.pk))
    lines = out.splitlines()
    assert [line.split(": ", 1)[1] for line in lines] == ["first", "second [bold]", "third"]
    assert "INFO    t: first" in lines[0]
    out, _ = jobs("logs", str(run.pk), "--level", "warning")
    assert "first" not in out and "second [bold]" in out and "third" in out
    out, _ = jobs("logs", str(run.pk), "--level", "40")
    assert out.count("\n") == 1
    out, err = jobs("logs", str(run.pk), "--follow")
    assert "third" in out and f"run {run.pk} failed" in err
    assert jobs_error("logs", "987654").returncode == 2
    with pytest.raises(CommandError):
        jobs("logs", str(run.pk), "--level", "LOUD")


@worker_db
def test_logs_follow_prints_until_the_run_ends():
    job = JobFactory(task_type="test_echo")
    run = RunFactory(job=job, status=Run.Status.RUNNING, started_at=timezone.now())

    def finish_later():
        import threading
        import time

        def work():
            time.sleep(0.3)
            RunLog.objects.bulk_create([_log(run, 1, 20, "late line")])
            Run.objects.filter(pk=run.pk).update(status=Run.Status.SUCCESS, finished_at=timezone.now())
            connection.close()

        thread = threading.Thread(target=work)
        thread.start()
        return thread

    thread = finish_later()
    out, err = jobs("logs", str(run.pk), "--follow")
    thread.join()
    assert "late line" in out and f"run {run.pk} success" in err


@pytest.mark.django_db
def test_cancel_queued_running_and_finished_runs():
    queued = RunFactory(status=Run.Status.QUEUED)
    running = RunFactory(status=Run.Status.RUNNING, started_at=timezone.now() - dt.timedelta(seconds=5))
    done = RunFactory(status=Run.Status.SUCCESS)
    out, _ = jobs("cancel", str(queued.pk))
    assert out == f"run {queued.pk} cancelled\n"
    assert Run.objects.get(pk=queued.pk).status == Run.Status.CANCELLED
    out, _ = jobs("cancel", str(running.pk))
    assert out == f"run {running.pk} asked to stop (status cancelling)\n"
    assert Run.objects.get(pk=running.pk).status == Run.Status.CANCELLING
    error = jobs_error("cancel", str(done.pk))
    assert error.returncode == 2 and str(error) == f"cannot cancel: run {done.pk} has already ended (success)"
    assert jobs_error("cancel", "31337").returncode == 2
