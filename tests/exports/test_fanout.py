"""Export records fanned out over id ranges: parts written by subtasks, joined into the single-run archive."""

import datetime as dt
import io
import json
import os
import tarfile
import time
from collections import Counter

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from exports.fanout import PART_DIR
from exports.models import ExportFile
from exports.serializers import datacite_xml
from exports.services import exportfiles_purge, records_export
from jobs.models import Run
from jobs.runs.cancel import run_cancel
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


def _fanned_out(args: dict, job=None) -> tuple[Run, list[Run]]:
    parent = run_create(job=job or JobFactory(task_type="export_records"), args=args)
    assert run_execute(run_id=parent.pk) == Status.RUNNING
    children = list(Run.objects.filter(parent=parent).order_by("pk"))
    return parent, children


def _join(parent: Run, chain_ends) -> str:
    """Execute the export's join: the run its parent starts after the last part."""
    then = Run.objects.get(parent=parent, trigger=Run.Trigger.FINALLY)
    assert then.task_name == "exports.export_join" and then.status == Status.QUEUED
    with chain_ends():
        return run_execute(run_id=then.pk)


@pytest.mark.django_db
def test_the_fanned_out_archive_holds_the_members_and_bytes_of_the_single_run(media, chain_ends):
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
    assert _join(parent, chain_ends) == Status.SUCCESS
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
def test_a_part_that_fails_fails_the_export_and_leaves_no_file(media, monkeypatch, chain_ends):
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
    assert _join(parent, chain_ends) == Status.FAILED
    parent.refresh_from_db()
    assert parent.status == Status.FAILED
    assert "a part of the export failed" in parent.message
    assert not ExportFile.objects.exists()
    assert _files(media) == []


@pytest.mark.django_db
def test_a_retried_export_reuses_the_parts_that_succeeded_and_publishes_the_single_run_archive(
    media, monkeypatch, chain_ends
):
    _records(12, deleted={2})
    args = {"serializer": "datacite-xml", "include_deleted": True, "since": (T0 - dt.timedelta(days=1)).isoformat()}
    single = run_create(job=JobFactory(task_type="export_records"), args={**args, "part_records": 0})
    assert run_execute(run_id=single.pk) == Status.SUCCESS
    single.refresh_from_db()
    expected = ExportFile.objects.get(run=single)
    serialize = datacite_xml.serialize
    calls = Counter()

    def fails_the_first_time(record):
        calls[record["doi"]] += 1
        if record["doi"] == "10.82433/fan-007" and calls[record["doi"]] == 1:
            raise RuntimeError("disk on fire")
        return serialize(record)

    monkeypatch.setattr(datacite_xml, "serialize", fails_the_first_time)
    job = JobFactory(task_type="export_records", max_retries=1, retry_backoff_seconds=0)
    first, children = _fanned_out({**args, "part_records": 4}, job=job)
    assert [run_execute(run_id=child.pk) for child in children] == [Status.SUCCESS, Status.FAILED, Status.SUCCESS]
    assert _join(first, chain_ends) == Status.FAILED
    first.refresh_from_db()
    assert first.status == Status.FAILED and "a part of the export failed" in first.message
    retry = Run.objects.get(retry_of=first)
    # Kept for the retry: the parts of the children that succeeded.
    assert _files(media / PART_DIR) == [f"{first.pk}/{n}" for n in
                                        ("00000.deleted", "00000.tgz-part", "00002.deleted", "00002.tgz-part")]

    assert run_execute(run_id=retry.pk) == Status.RUNNING
    reused, again, reused_too = Run.objects.filter(parent=retry).order_by("pk")
    for child, earlier in ((reused, children[0]), (reused_too, children[2])):
        assert (child.status, child.started_at, child.args) == (Status.SUCCESS, None, earlier.args)
        assert child.message == f"succeeded in run {earlier.pk} of an earlier attempt"
    assert again.status == Status.QUEUED and again.args == children[1].args
    assert run_execute(run_id=again.pk) == Status.SUCCESS
    assert _join(retry, chain_ends) == Status.SUCCESS
    retry.refresh_from_db()
    assert retry.status == Status.SUCCESS, retry.message
    joined = ExportFile.objects.get(run=retry)
    assert _members(joined.name) == _members(expected.name)
    assert _manifest_counts(joined.name) == _manifest_counts(expected.name) == {"exported": 11, "deleted": 1, "errored": 0}
    assert retry.counters == single.counters
    # Only the records of the part that failed were written again.
    assert sorted(doi for doi, n in calls.items() if n > 1) == [f"10.82433/fan-{i:03d}" for i in range(4, 8)]
    assert max(calls.values()) == 2
    assert _files(media) == sorted([expected.name, joined.name])  # no part left


@pytest.mark.django_db
def test_a_cancelled_export_leaves_no_part(media, chain_ends):
    _records(12)
    parent, children = _fanned_out({"part_records": 4, "since": (T0 - dt.timedelta(days=1)).isoformat()})
    assert run_execute(run_id=children[0].pk) == Status.SUCCESS
    assert _files(media) == [f"{PART_DIR}{parent.pk}/00000.tgz-part"]
    with chain_ends():
        run_cancel(run=parent)
    parent.refresh_from_db()
    assert parent.status == Status.CANCELLED and parent.message == "3 subtasks: 2 cancelled, 1 success"
    assert not Run.objects.filter(parent=parent, trigger=Run.Trigger.FINALLY).exists()
    assert _files(media) == [] and not ExportFile.objects.exists()


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
        children = Run.objects.filter(parent=parent, status=Status.SUCCESS)
        assert children.filter(trigger=Run.Trigger.SUBTASK).count() == 4
        assert children.get(trigger=Run.Trigger.FINALLY).task_name == "exports.export_join"
        joined = ExportFile.objects.get(run=parent)
        assert _members(joined.name) == _members(expected.name)
        # Removed right after the end's commit (``chain_ended``): the end may be seen a moment before.
        wait_for(lambda: not default_storage.exists(f"{PART_DIR}{parent.pk}"), timeout=10, message="the parts removed")
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
