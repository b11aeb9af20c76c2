"""``jobs.cli.jobref``: one rule for ``JOB`` in ``run``, ``runs --job`` and ``schedule``."""

import pytest

from jobs.cli.jobref import job_find, job_resolve
from jobs.models import Job, Run
from tests.factories import JobFactory, RunFactory
from tests.jobs.cli.test_jobs_command import jobs, jobs_error

pytestmark = pytest.mark.django_db


def _job_used(subcommand: str, ref: str) -> int:
    """Run ``subcommand`` with ``ref`` as its JOB; return the id of the job it acted on."""
    if subcommand == "run":
        jobs("run", ref)
        return Run.objects.latest("pk").job_id
    if subcommand == "runs":
        out, _ = jobs("runs", "--job", ref)
        shown = {job.pk for job in Job.objects.all() if f"marker-{job.pk}-end" in out}
        assert len(shown) == 1, out
        return shown.pop()
    out, _ = jobs("schedule", ref)
    return int(out.split()[0])


def _job_error(subcommand: str, ref: str):
    return jobs_error(*(["runs", "--job", ref] if subcommand == "runs" else [subcommand, ref]))


def _with_a_run(job):
    RunFactory(job=job, status=Run.Status.SUCCESS, message=f"marker-{job.pk}-end")
    return job


SUBCOMMANDS = ["run", "runs", "schedule"]


@pytest.mark.parametrize("subcommand", SUBCOMMANDS)
def test_every_subcommand_takes_a_job_id_an_exact_title_or_a_type_with_one_job(subcommand):
    nightly = _with_a_run(JobFactory(title="Nightly echo", task_type="test_echo"))
    failing = _with_a_run(JobFactory(title="Always fails", task_type="test_fail"))
    assert _job_used(subcommand, str(failing.pk)) == failing.pk
    assert _job_used(subcommand, "Nightly echo") == nightly.pk
    assert _job_used(subcommand, "test_fail") == failing.pk


@pytest.mark.parametrize("subcommand", SUBCOMMANDS)
def test_a_title_or_type_naming_several_jobs_exits_2_listing_them(subcommand):
    a = _with_a_run(JobFactory(title="Twin", task_type="test_echo"))
    b = _with_a_run(JobFactory(title="Twin", task_type="test_echo"))
    runs_before = Run.objects.count()
    for ref, reason in [("Twin", "several jobs are titled 'Twin'"), ("test_echo", "job type 'test_echo' has several jobs")]:
        error = _job_error(subcommand, ref)
        assert error.returncode == 2
        assert f"ambiguous job {ref!r}: {reason}: {a.pk} (Twin), {b.pk} (Twin); give a job id" == str(error)
    assert Run.objects.count() == runs_before


@pytest.mark.parametrize("subcommand", SUBCOMMANDS)
def test_unknown_jobs_exit_2_and_only_run_creates_a_job_for_a_type_without_one(subcommand):
    for ref, start in [("424242", "unknown job 424242: no job has this id"),
                       ("No such title", "unknown job 'No such title': not a job id"),
                       ("gone_plugin", "unknown job 'gone_plugin': not a job id")]:
        error = _job_error(subcommand, ref)
        assert error.returncode == 2 and str(error).startswith(start)
    if subcommand == "run":
        jobs("run", "test_echo")
        assert Job.objects.filter(task_type="test_echo").count() == 1
    else:
        assert _job_error(subcommand, "test_echo").returncode == 2
        assert not Job.objects.filter(task_type="test_echo").exists()


def test_an_exact_title_comes_before_a_job_type_id():
    titled = JobFactory(title="test_fail", task_type="test_echo")
    of_type = JobFactory(title="Fails", task_type="test_fail")
    assert job_find("test_fail") == titled
    assert job_find(str(of_type.pk)) == of_type
    assert job_find("Fails") == of_type
    assert job_resolve("test_partial", allow_new=True) == (None, "test_partial")
    with pytest.raises(Exception, match="unknown job 'test_fa'"):
        job_find("test_fa")  # exact titles and type ids only, no prefixes


def test_a_long_list_of_candidates_is_cut_short():
    made = [JobFactory(title="Many", task_type="test_echo") for _ in range(12)]
    message = str(_job_error("schedule", "Many"))
    assert f"{made[9].pk} (Many), ..." in message and f"{made[10].pk} (Many)" not in message


def test_runs_type_lists_the_runs_of_every_job_of_a_type():
    a = _with_a_run(JobFactory(task_type="test_echo"))
    b = _with_a_run(JobFactory(task_type="test_echo"))
    other = _with_a_run(JobFactory(task_type="test_fail"))
    out, _ = jobs("runs", "--type", "test_echo")
    assert f"marker-{a.pk}-end" in out and f"marker-{b.pk}-end" in out and f"marker-{other.pk}-end" not in out
    error = jobs_error("runs", "--type", "nothing_like_it")
    assert error.returncode == 2 and "unknown job type 'nothing_like_it'" in str(error)
