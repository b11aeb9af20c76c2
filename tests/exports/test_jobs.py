"""The export_records job type: default ``since``, in-process and real-worker runs."""

import datetime as dt
import io
import json
import tarfile

import pytest
from django.core.files.storage import default_storage
from django.db import transaction

from exports.models import ExportFile, Record
from jobs.arguments import run_arguments_build
from jobs.models import Job, Run
from jobs.registry import registry
from jobs.runs.execution import run_execute
from jobs.runs.services import run_create
from tests.conftest import wait_for
from tests.exports.conftest import minimal_metadata, record_at
from tests.factories import JobFactory, RunFactory

T0 = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


def test_export_records_is_registered():
    assert registry.get("export_records").title == "Export records"


@pytest.mark.django_db
def test_since_defaults_to_the_start_of_the_last_success():
    job = JobFactory(task_type="export_records")
    assert run_arguments_build(job=job, args={})["since"] is None
    RunFactory(job=job, status=Run.Status.FAILED, started_at=T0 + dt.timedelta(days=2))
    RunFactory(job=job, status=Run.Status.SUCCESS, started_at=T0)
    job = Job.objects.get(pk=job.pk)  # last_runs is cached per instance
    args = run_arguments_build(job=job, args={})
    assert dt.datetime.fromisoformat(args["since"]) == T0
    assert args["serializer"] == "datacite-xml" and args["include_deleted"] is False and args["until"] is None
    explicit = run_arguments_build(job=job, args={"since": "2020-01-01T00:00:00+00:00"})
    assert dt.datetime.fromisoformat(explicit["since"]) == dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_unknown_serializer_is_refused():
    from jobs.exceptions import ArgumentsInvalid

    job = JobFactory(task_type="export_records")
    with pytest.raises(ArgumentsInvalid) as info:
        run_arguments_build(job=job, args={"serializer": "marc"})
    assert "serializer" in info.value.messages


@pytest.mark.django_db
@pytest.mark.parametrize("until", ["2024-01-01T00:00:00+00:00", "2025-01-01T00:00:00+00:00"])
def test_until_not_after_since_is_refused_on_until(until):
    from jobs.exceptions import ArgumentsInvalid

    job = JobFactory(task_type="export_records")
    with pytest.raises(ArgumentsInvalid) as info:
        run_arguments_build(job=job, args={"since": "2025-01-01T00:00:00+00:00", "until": until})
    assert info.value.messages == {"until": ["Must be later than since."]}
    assert not Run.objects.exists()
    args = run_arguments_build(job=job, args={"since": "2024-01-01T00:00:00+00:00", "until": "2025-01-01T00:00:00+00:00"})
    assert args["until"] == "2025-01-01T00:00:00+00:00"


@pytest.mark.django_db
def test_export_run_in_process_end_to_end(media):
    job = JobFactory(task_type="export_records")
    RunFactory(job=job, status=Run.Status.SUCCESS, started_at=T0)
    record_at("10.82433/before", T0 - dt.timedelta(hours=1))
    for i in range(3):
        record_at(f"10.82433/after-{i}", T0 + dt.timedelta(hours=i + 1))
    record_at("10.82433/withdrawn", T0 + dt.timedelta(hours=5), deleted=True)
    run = run_create(job=job, args={"include_deleted": True, "serializer": "datacite-json"})
    assert run_execute(run_id=run.pk) == Run.Status.SUCCESS
    run.refresh_from_db()
    assert run.counters == {"exported": 3, "deleted": 1}
    assert run.progress_done == run.progress_total == 4
    export_file = ExportFile.objects.get(run=run)
    assert export_file.record_count == 3 and "exported 3 records" in run.message
    with default_storage.open(export_file.name) as fh:
        tar = tarfile.open(fileobj=io.BytesIO(fh.read()))
    manifest = json.loads(tar.extractfile("manifest.json").read())
    assert manifest["run_id"] == run.pk and manifest["counts"]["exported"] == 3
    assert dt.datetime.fromisoformat(manifest["arguments"]["since"]) == T0


@pytest.mark.django_db
def test_scheduled_export_with_nothing_new_publishes_nothing(media):
    job = JobFactory(task_type="export_records")
    record_at("10.82433/one", T0)
    first = run_create(job=job, args={})
    assert run_execute(run_id=first.pk) == Run.Status.SUCCESS
    assert ExportFile.objects.filter(run=first).count() == 1
    second = run_create(job=job, args={})  # since = the start of the first run: nothing changed since
    assert run_execute(run_id=second.pk) == Run.Status.SUCCESS
    second.refresh_from_db()
    assert second.message.startswith("no records changed since ") and second.message.endswith(": no archive published")
    assert second.counters == {"exported": 0}
    assert not ExportFile.objects.filter(run=second).exists()
    third = run_create(job=job, args={"publish_empty": True})
    assert run_execute(run_id=third.pk) == Run.Status.SUCCESS
    assert ExportFile.objects.get(run=third).record_count == 0


@pytest.mark.django_db
def test_errored_record_makes_the_run_partial(media):
    job = JobFactory(task_type="export_records")
    good = record_at("10.82433/good", T0)
    bad = record_at("10.82433/bad", T0)
    Record.objects.filter(pk=bad.pk).update(metadata=minimal_metadata(title="bell\x07"))
    run = run_create(job=job, args={})
    assert run_execute(run_id=run.pk) == Run.Status.PARTIAL_SUCCESS
    run.refresh_from_db()
    assert run.counters == {"exported": 1, "deleted": 0, "errored": 1}
    assert run.errors[0]["id"] == "10.82433/bad"
    assert ExportFile.objects.get(run=run).record_count == 1
    assert good.doi != bad.doi


@pytest.mark.django_db
def test_failed_run_leaves_no_file(media, settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "tests.exports.storages.DiskFullStorage"}}
    record_at("10.82433/one", T0)
    run = run_create(job=JobFactory(task_type="export_records"), args={})
    assert run_execute(run_id=run.pk) == Run.Status.FAILED
    run.refresh_from_db()
    assert "No space left on device" in run.message
    assert not ExportFile.objects.exists()
    assert [p for p in media.rglob("*") if p.is_file()] == []


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_export_run_through_the_real_worker(celery_worker):
    for i in range(5):
        Record(doi=f"10.82433/worker-{i}", metadata=minimal_metadata(title=f"Wörker {i}")).save()
    job = JobFactory(task_type="export_records")
    with transaction.atomic():
        run = run_create(job=job, args={"serializer": "datacite-xml"})

    def finished():
        run.refresh_from_db()
        return run.status in Run.FINAL_STATUSES

    wait_for(finished, timeout=60, message="export run to finish")
    assert run.status == Run.Status.SUCCESS, run.message
    export_file = ExportFile.objects.get(run=run)
    try:
        assert export_file.record_count == 5
        with default_storage.open(export_file.name) as fh:
            names = tarfile.open(fileobj=io.BytesIO(fh.read())).getnames()
        assert len([n for n in names if n.startswith("records/")]) == 5
    finally:
        default_storage.delete(export_file.name)
