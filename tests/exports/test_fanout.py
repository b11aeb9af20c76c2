"""Export records fanned out over id ranges: parts written by subtasks, joined into the single-run archive."""

import datetime as dt
import io
import json
import os
import tarfile
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from exports.fanout import PART_DIR
from exports.models import ExportFile
from exports.serializers import datacite_xml
from exports.services import exportfiles_purge, records_export
from jobs.models import Run
from jobs.runs.execution import run_execute
from jobs.runs.services import run_create
from tests.conftest import wait_for
from tests.exports.conftest import minimal_metadata, record_at
from tests.factories import JobFactory

Status = Run.Status
T0 = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


def _records(count: int, *, deleted=()):
    for i in range(count):
        record_at(f"10.82433/fan-{i:03d}", T0 + dt.timedelta(minutes=i), deleted=i in deleted,
                  metadata=minimal_metadata(title=f"Fächer {i}"))


def _members(name: str) -> list[tuple[str, bytes]]:
    """(name, bytes) of every member but the manifest (its times and run id differ), in order."""
    with default_storage.open(name) as fh:
        with tarfile.open(fileobj=io.BytesIO(fh.read())) as tar:
            return [(m.name, tar.extractfile(m).read()) for m in tar if m.name != "manifest.json"]


def _manifest_counts(name: str) -> dict:
    with default_storage.open(name) as fh, tarfile.open(fileobj=io.BytesIO(fh.read())) as tar:
        return json.loads(tar.extractfile("manifest.json").read())["counts"]


def _files(media) -> list:
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def _fanned_out(args: dict) -> tuple[Run, list[Run]]:
    parent = run_create(job=JobFactory(task_type="export_records"), args=args)
    assert run_execute(run_id=parent.pk) == Status.RUNNING
    children = list(Run.objects.filter(parent=parent).order_by("pk"))
    return parent, children


@pytest.mark.django_db
def test_the_fanned_out_archive_holds_the_members_and_bytes_of_the_single_run(media):
    _records(23, deleted={4, 17})
    args = {"serializer": "datacite-xml", "include_deleted": True, "since": (T0 - dt.timedelta(days=1)).isoformat()}
    single = run_create(job=JobFactory(task_type="export_records"), args={**args, "part_records": 0})
    assert run_execute(run_id=single.pk) == Status.SUCCESS
    single.refresh_from_db()
    expected = ExportFile.objects.get(run=single)

    parent, children = _fanned_out({**args, "part_records": 5})
    assert [c.title for c in children] == [f"part {i} of 5" for i in range(1, 6)]
    assert {c.task_name for c in children} == {"exports.export_part"}
    for child in reversed(children):  # any order: the join puts the parts in order
        assert run_execute(run_id=child.pk) == Status.SUCCESS
    parent.refresh_from_db()
    assert parent.status == Status.SUCCESS, parent.message
    assert parent.message.startswith("exported 21 records to ")
    joined = ExportFile.objects.get(run=parent)

    members = _members(joined.name)
    assert [n for n, _ in members] == [n for n, _ in _members(expected.name)]
    assert members == _members(expected.name)
    assert members[-1] == ("deleted.txt", b"10.82433/fan-004\n10.82433/fan-017\n")
    assert _manifest_counts(joined.name) == _manifest_counts(expected.name) == {"exported": 21, "deleted": 2, "errored": 0}
    assert parent.counters == single.counters
    assert (joined.record_count, joined.deleted_count) == (21, 2)
    assert not (media / PART_DIR).exists() or _files(media / PART_DIR) == []


@pytest.mark.django_db
def test_a_part_that_fails_fails_the_export_and_leaves_no_file(media, monkeypatch):
    _records(12)
    serialize = datacite_xml.serialize

    def breaks_on_one(record):
        if record["doi"] == "10.82433/fan-007":
            raise RuntimeError("disk on fire")  # not a serializer error: the part's run fails
        return serialize(record)

    monkeypatch.setattr(datacite_xml, "serialize", breaks_on_one)
    parent, children = _fanned_out({"part_records": 4, "since": (T0 - dt.timedelta(days=1)).isoformat()})
    assert len(children) == 3
    statuses = [run_execute(run_id=child.pk) for child in children]
    assert statuses == [Status.SUCCESS, Status.FAILED, Status.SUCCESS]
    parent.refresh_from_db()
    assert parent.status == Status.FAILED
    assert "a part of the export failed" in parent.message
    assert not ExportFile.objects.exists()
    assert _files(media) == []


@pytest.mark.django_db
def test_records_that_fit_in_one_part_keep_the_single_run_path(media):
    _records(4)
    run = run_create(job=JobFactory(task_type="export_records"), args={"part_records": 4})
    assert run_execute(run_id=run.pk) == Status.SUCCESS
    assert not Run.objects.filter(parent=run).exists()
    assert ExportFile.objects.get(run=run).record_count == 4


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_fanned_out_export_through_the_worker_publishes_the_single_run_archive(celery_worker):
    for i in range(10):
        record_at(f"10.82433/worker-fan-{i}", T0 + dt.timedelta(minutes=i), metadata=minimal_metadata(title=f"W {i}"))
    expected = records_export(serializer="datacite-xml")  # outside a run: the single-run path, in this process
    with transaction.atomic():
        parent = run_create(job=JobFactory(task_type="export_records"), args={"part_records": 3})
    try:
        wait_for(lambda: Run.objects.filter(pk=parent.pk, status__in=Run.FINAL_STATUSES).exists(), timeout=120,
                 message="the fanned-out export to end")
        parent.refresh_from_db()
        assert parent.status == Status.SUCCESS, parent.message
        assert Run.objects.filter(parent=parent, status=Status.SUCCESS).count() == 4
        joined = ExportFile.objects.get(run=parent)
        assert _members(joined.name) == _members(expected.name)
        assert not default_storage.exists(f"{PART_DIR}{parent.pk}")
    finally:
        for export_file in ExportFile.objects.all():
            default_storage.delete(export_file.name)


@pytest.mark.django_db
def test_the_purge_removes_parts_a_killed_worker_left_a_day_ago(media):
    old = default_storage.save(f"{PART_DIR}7/00000.tgz-part", ContentFile(b"old"))
    fresh = default_storage.save(f"{PART_DIR}8/00000.tgz-part", ContentFile(b"fresh"))
    day_ago = time.time() - 25 * 3600
    os.utime(default_storage.path(old), (day_ago, day_ago))
    exportfiles_purge()
    assert _files(media) == [fresh]
