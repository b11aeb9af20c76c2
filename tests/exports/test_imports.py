"""The import_records job type: sources checked before any run exists, counters and errored entries of a run."""

import io
import shutil

import pytest
from django.core.management import CommandError, call_command

from exports.models import Record
from jobs.arguments import run_arguments_build
from jobs.exceptions import ArgumentsInvalid
from jobs.models import Run
from jobs.registry import registry
from jobs.runs.execution import run_execute
from jobs.runs.services import run_create
from tests.exports.test_importing import EXAMPLES, with_doi
from tests.factories import JobFactory


def test_import_records_is_registered():
    registered = registry.get("import_records")
    assert registered.title == "Import records" and registered.task.name == "exports.import_records"


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "message"), [
    ("", "Give a source"),
    ("/etc/passwd", "is not below the import folder"),
    ("../x.xml", "'..' is not allowed"),
    ("nonexistent.tar.gz", "does not exist in the import folder"),
    ("ftp://api.datacite.org/dois?prefix=10.5281", "Scheme 'ftp' is not allowed"),
    ("https://example.org/dois?prefix=10.5281", "not a DataCite REST API host"),
])
def test_bad_sources_are_refused_before_a_run_exists(import_dir, source, message):
    job = JobFactory(task_type="import_records")
    with pytest.raises(ArgumentsInvalid) as info:
        run_arguments_build(job=job, args={"source": source})
    assert message in " ".join(info.value.messages["source"])
    assert not Run.objects.exists()


@pytest.mark.django_db
def test_cli_refuses_a_bad_source_with_exit_2(import_dir):
    job = JobFactory(task_type="import_records")
    with pytest.raises(CommandError) as info:
        call_command("jobs", "run", str(job.pk), "--arg", "source=/etc/passwd", stdout=io.StringIO(), stderr=io.StringIO())
    assert info.value.returncode == 2 and "is not below the import folder" in str(info.value)
    assert not Run.objects.exists()


@pytest.mark.django_db
def test_run_counts_created_updated_unchanged_and_errored(import_dir):
    (import_dir / "batch").mkdir()
    for i, path in enumerate(EXAMPLES[:3]):
        (import_dir / "batch" / f"{i}.xml").write_bytes(with_doi(path, f"10.82433/job-{i}"))
    job = JobFactory(task_type="import_records")
    run = run_create(job=job, args={"source": "batch"})
    assert run_execute(run_id=run.pk) == Run.Status.SUCCESS
    run.refresh_from_db()
    assert run.counters["created"] == 3 and run.message == "3 created, 0 updated, 0 unchanged, 0 errored"

    shutil.copy(EXAMPLES[3], import_dir / "batch" / "3.xml")  # a new record
    (import_dir / "batch" / "0.xml").write_bytes(with_doi(EXAMPLES[4], "10.82433/job-0"))  # different metadata
    (import_dir / "batch" / "bad.xml").write_text("<resource/>")
    run = run_create(job=job, args={"source": "batch"})
    assert run_execute(run_id=run.pk) == Run.Status.PARTIAL_SUCCESS
    run.refresh_from_db()
    assert {k: run.counters.get(k, 0) for k in ("created", "updated", "unchanged", "errored")} == {
        "created": 1, "updated": 1, "unchanged": 2, "errored": 1}
    assert run.errors == [{"id": "bad.xml", "reason": "root element <resource> in namespace (none) is not a DataCite kernel-4 <resource>"}]
    assert Record.objects.count() == 4


@pytest.mark.django_db
def test_dry_run_says_so_and_writes_nothing(import_dir):
    shutil.copy(EXAMPLES[0], import_dir / "one.xml")
    run = run_create(job=JobFactory(task_type="import_records"), args={"source": "one.xml", "dry_run": True})
    assert run_execute(run_id=run.pk) == Run.Status.SUCCESS
    run.refresh_from_db()
    assert run.message == "dry run, nothing written: 1 created, 0 updated, 0 unchanged, 0 errored"
    assert not Record.objects.exists()
