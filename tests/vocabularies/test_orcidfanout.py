"""ORCID over several processes (forked parsers of one run) and several workers (chunks as subtasks)."""

import datetime as dt
import os
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from jobs.models import Run
from jobs.runs import context
from jobs.runs.cancel import run_cancel
from jobs.runs.ending import run_end
from jobs.runs.execution import run_execute
from jobs.runs.reaper import runs_reap
from jobs.runs.services import run_create
from tests.conftest import wait_for
from tests.factories import JobFactory
from tests.vocabularies import orcid_fixtures as ofx
from tests.vocabularies.conftest import orcid_targz
from vocabularies import jobs as vocabulary_jobs
from vocabularies import orcidfanout
from vocabularies.chunks import CHUNK_DIR
from vocabularies.models import Name
from vocabularies.readers import orcid

Status = Run.Status
RECORDS = ofx.many(300)
SINCE = "2015-01-01T00:00:00+00:00"


def _stored() -> list[dict]:
    rows = [{k: v for k, v in row.items() if k != "id"} for row in Name.objects.values()]
    return sorted(rows, key=lambda row: row["orcid_id"])


def _errors(errors: list) -> list:
    return sorted((e["id"], e["reason"]) for e in errors)


def _chunks_left(media) -> list:
    folder = media / CHUNK_DIR
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.VOCABULARIES_CHUNK_STORAGE = None
    return tmp_path / "media"


@pytest.fixture
def dump(import_dir):
    orcid_targz(import_dir / "summaries.tar.gz", RECORDS)
    return "summaries.tar.gz"


def _single(dump, **args) -> Run:
    run = run_create(job=JobFactory(task_type="orcid_names"), args={"source": dump, "fan_out": False, **args})
    run_execute(run_id=run.pk)
    run.refresh_from_db()
    return run


@pytest.mark.django_db
@pytest.mark.parametrize("since", [None, SINCE])
def test_the_fanned_out_import_writes_the_rows_and_counters_of_one_run(dump, media, since):
    Name.objects.create(orcid_id="0000-0001-0000-0017", given_names="to be deactivated", content_hash="-")
    single = _single(dump, since=since)
    expected = _stored()
    Name.objects.all().delete()
    Name.objects.create(orcid_id="0000-0001-0000-0017", given_names="to be deactivated", content_hash="-")
    parent = run_create(job=JobFactory(task_type="orcid_names"),
                        args={"source": dump, "chunk_records": 40, "since": since})
    assert run_execute(run_id=parent.pk) == Status.RUNNING
    children = list(Run.objects.filter(parent=parent).order_by("pk"))
    assert [c.title for c in children] == [f"records {a}–{min(a + 39, 300)}" for a in range(1, 301, 40)]
    assert [c.task_name for c in children] == ["vocabularies.orcid_chunk_import"] * 8
    assert len(_chunks_left(media)) == 8
    for child in reversed(children):  # any order: each chunk holds other records
        run_execute(run_id=child.pk)
    parent.refresh_from_db()
    assert _stored() == expected
    assert parent.counters == single.counters
    assert single.counters["created"] > 0 and single.counters["deleted"] == 1 and single.counters["errored"] == 1
    assert bool(since) == bool(single.counters.get("skipped"))
    assert _errors(parent.errors) == _errors(single.errors) and parent.errors[0]["subtask"] == children[1].pk
    assert parent.status == single.status == Status.PARTIAL_SUCCESS
    assert parent.message == "8 subtasks: 1 partial success, 7 success"
    assert _chunks_left(media) == []


@pytest.mark.django_db
def test_a_dump_of_one_chunk_keeps_the_single_run_path(dump, media):
    run = run_create(job=JobFactory(task_type="orcid_names"), args={"source": dump, "chunk_records": 300})
    run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert not Run.objects.filter(parent=run).exists() and run.status == Status.PARTIAL_SUCCESS
    assert run.counters["created"] == Name.objects.count() > 0 and _chunks_left(media) == []


@pytest.mark.django_db
def test_a_chunk_that_fails_is_deleted_and_the_parent_ends_partial(dump, media):
    parent = run_create(job=JobFactory(task_type="orcid_names"), args={"source": dump, "chunk_records": 100})
    run_execute(run_id=parent.pk)
    first, *others = Run.objects.filter(parent=parent).order_by("pk")
    chunk = media / first.args["chunk"]
    chunk.write_bytes(chunk.read_bytes()[:5000])  # truncated
    assert run_execute(run_id=first.pk) == Status.FAILED
    first.refresh_from_db()
    assert "chunk file is truncated" in first.message and not chunk.exists()
    for child in others:
        run_execute(run_id=child.pk)
    parent.refresh_from_db()
    assert parent.status == Status.PARTIAL_SUCCESS and parent.message.startswith("3 subtasks: 1 failed")
    assert set(Name.objects.values_list("orcid_id", flat=True)) >= {f"0000-0001-0000-{n:04d}" for n in (100, 299)}
    assert _chunks_left(media) == []


@pytest.mark.django_db
def test_the_chunk_of_a_subtask_whose_worker_was_lost_is_deleted_when_the_parent_ends(dump, media, settings,
                                                                                      chain_ends):
    settings.JOBS_LOST_RUN_SECONDS = 60
    parent = run_create(job=JobFactory(task_type="orcid_names"), args={"source": dump, "chunk_records": 100})
    run_execute(run_id=parent.pk)
    lost, *others = Run.objects.filter(parent=parent).order_by("pk")
    for child in others:
        assert run_execute(run_id=child.pk) == Status.SUCCESS
    assert _chunks_left(media) == [Path(lost.args["chunk"]).name]
    # Its worker was killed (SIGKILL) while it imported: no heartbeat since, and its chunk is still stored.
    lost_at = timezone.now() - dt.timedelta(minutes=2)
    Run.objects.filter(pk=lost.pk).update(status=Status.RUNNING, started_at=lost_at, heartbeat_at=lost_at)
    with chain_ends():
        assert runs_reap()["lost"] == 1
    lost.refresh_from_db()
    parent.refresh_from_db()
    assert lost.status == Status.FAILED and lost.message.startswith("worker lost")
    assert parent.status == Status.PARTIAL_SUCCESS and parent.message == "3 subtasks: 1 failed, 2 success"
    assert _chunks_left(media) == []


@pytest.mark.django_db
def test_a_cancelled_import_leaves_no_chunk(dump, media, chain_ends):
    parent = run_create(job=JobFactory(task_type="orcid_names"), args={"source": dump, "chunk_records": 100})
    run_execute(run_id=parent.pk)
    assert len(_chunks_left(media)) == 3
    with chain_ends():
        run_cancel(run=parent)
    parent.refresh_from_db()
    assert parent.status == Status.CANCELLED and parent.message == "3 subtasks: 3 cancelled"
    assert _chunks_left(media) == []


@pytest.mark.django_db
def test_a_dump_broken_while_it_is_cut_fails_and_leaves_no_chunk(import_dir, media):
    data = orcid_targz(import_dir / "whole.tar.gz", RECORDS).read_bytes()
    (import_dir / "broken.tar.gz").write_bytes(data[: len(data) * 3 // 4])
    parent = run_create(job=JobFactory(task_type="orcid_names"), args={"source": "broken.tar.gz", "chunk_records": 30})
    assert run_execute(run_id=parent.pk) == Status.FAILED
    parent.refresh_from_db()
    assert "archive is corrupt or truncated" in parent.message
    children = Run.objects.filter(parent=parent)
    assert children.count() >= 5 and set(children.values_list("status", flat=True)) == {Status.CANCELLED}
    assert _chunks_left(media) == [] and Name.objects.count() == 0


@pytest.mark.django_db
def test_a_retried_parent_does_not_import_again_the_chunks_that_succeeded(dump, media):
    job = JobFactory(task_type="orcid_names")
    first = run_create(job=job, args={"source": dump, "chunk_records": 100})
    run_execute(run_id=first.pk)
    done = Run.objects.filter(parent=first).order_by("pk").last()  # records 201–300 (the first chunk has the bomb)
    assert run_execute(run_id=done.pk) == Status.SUCCESS
    run_end(run_id=first.pk, to_status=Status.FAILED, message="worker lost")  # cancels its queued children
    assert len(_chunks_left(media)) == 2  # theirs
    retry = run_create(job=job, task_args=first.args, trigger=Run.Trigger.RETRY, retry_of=first)
    run_execute(run_id=retry.pk)
    *again, reused = Run.objects.filter(parent=retry).order_by("pk")
    assert reused.status == Status.SUCCESS and reused.started_at is None and reused.args == done.args
    assert [c.status for c in again] == [Status.QUEUED, Status.QUEUED]
    assert len(_chunks_left(media)) == 2  # those of the cancelled children removed, the reused one's at once


def _import_in_process(dump: str, **args) -> context.RunHandle:
    """The task called in this process, outside a transaction: its parsers are forked."""
    handle = context.RunHandle(None)
    token = context.activate(handle)
    try:
        vocabulary_jobs.orcid_names(source=dump, **args)
    finally:
        context.deactivate(token)
    return handle


@pytest.fixture
def parser_pids(monkeypatch, tmp_path):
    """The pids of the processes that parsed records (each appends its pid to a file)."""
    log = tmp_path / "pids"
    parse = orcid.orcid_parse

    def recording(data, name):
        with open(log, "a") as out:
            out.write(f"{os.getpid()}\n")
        return parse(data, name)

    monkeypatch.setattr(orcid, "orcid_parse", recording)
    return lambda: set(log.read_text().split()) if log.exists() else set()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("parsers", [2, 3])
def test_forked_parsers_of_a_targz_write_what_one_parser_writes(dump, settings, monkeypatch, parser_pids, parsers):
    monkeypatch.setattr(orcidfanout, "BLOCK_RECORDS", 7)
    settings.VOCABULARIES_PARSERS = 1
    one = _import_in_process(dump, fan_out=False, since=SINCE)
    expected = _stored()
    assert len(parser_pids()) == 1
    Name.objects.all().delete()
    settings.VOCABULARIES_PARSERS = parsers
    before = parser_pids()
    run = _import_in_process(dump, fan_out=False, since=SINCE)
    pids = parser_pids() - before
    assert len(pids) == parsers and str(os.getpid()) not in pids
    assert _stored() == expected and run.counters == one.counters and _errors(run.errors) == _errors(one.errors)
    assert run.done == run.total > 0


@pytest.mark.django_db(transaction=True)
def test_forked_parsers_of_a_broken_targz_keep_the_blocks_before_and_its_message(import_dir, settings, monkeypatch):
    monkeypatch.setattr(orcidfanout, "BLOCK_RECORDS", 7)
    settings.VOCABULARIES_PARSERS = 2
    data = orcid_targz(import_dir / "whole.tar.gz", RECORDS).read_bytes()
    (import_dir / "broken.tar.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(Exception, match="archive is corrupt or truncated"):
        _import_in_process("broken.tar.gz", fan_out=False, since="2000-01-01T00:00:00+00:00")
    stored = sorted(Name.objects.values_list("orcid_id", flat=True))
    numbers = sorted({int(orcid_id[-4:]) for orcid_id in stored})
    assert 0 < len(numbers) < 300 and numbers == [n for n in range(max(numbers) + 1) if n % 9 != 8 and n != 49]


@pytest.mark.django_db(transaction=True)
def test_a_chunk_is_parsed_by_forked_parsers_sharing_it(dump, media, settings, monkeypatch, parser_pids):
    from vocabularies.readers import orcidframes

    monkeypatch.setattr(orcidframes, "GROUP_RECORDS", 6)
    settings.VOCABULARIES_PARSERS = 2
    one = _import_in_process(dump, fan_out=False)
    expected = _stored()
    Name.objects.all().delete()
    before = parser_pids()
    run = context.RunHandle(None, spawner=None)
    token = context.activate(run)
    try:  # outside a run, spawn() calls the subtask here: the chunks are imported one after the other
        vocabulary_jobs.orcid_names(source=dump, chunk_records=120)
    finally:
        context.deactivate(token)
    assert len(parser_pids() - before) == 2 * 3  # two parsers for each of the 3 chunks
    assert _stored() == expected and run.counters == one.counters and _chunks_left(media) == []


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_fanned_out_import_through_the_worker_writes_what_one_run_writes(celery_worker, http_server, tmp_path,
                                                                               import_dir):
    body = orcid_targz(tmp_path / "dump.tar.gz", RECORDS).read_bytes()
    http_server.routes["/summaries.tar.gz"] = (200, {"Content-Type": "application/gzip"}, body)
    source = f"{http_server.url}/summaries.tar.gz"
    single = _import_in_process(source, fan_out=False, since=SINCE)
    expected = _stored()
    Name.objects.all().delete()
    with transaction.atomic():
        parent = run_create(job=JobFactory(task_type="orcid_names"),
                            args={"source": source, "chunk_records": 50, "since": SINCE})
    wait_for(lambda: Run.objects.filter(pk=parent.pk, status__in=Run.FINAL_STATUSES).exists(), timeout=180,
             message="the fanned-out import to end")
    parent.refresh_from_db()
    assert parent.status == Status.PARTIAL_SUCCESS, parent.message
    assert Run.objects.filter(parent=parent, status=Status.SUCCESS).count() == 5  # and the one with the bomb
    assert _stored() == expected and parent.counters == dict(single.counters)
    assert parent.finished_at > parent.started_at > dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
