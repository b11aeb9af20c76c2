"""Run-log capture: every line stored once, in order, escaped, across batches and threads."""

import datetime as dt
import logging
import threading

import pytest
from django.test import override_settings
from django.utils import timezone

from jobs.logs.capture import RunLogFlusher, capture_run_logs
from jobs.models import Run, RunLog
from tests.conftest import wait_for
from tests.factories import RunFactory

log = logging.getLogger("tests.runlog")


def _messages(run):
    return list(RunLog.objects.filter(run=run).order_by("seq").values_list("message", flat=True))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("writer_process", [True, False], ids=["writer-process", "writer-thread"])
def test_lines_across_batches_and_writer_thread_keep_order(writer_process):
    run = RunFactory(status=Run.Status.RUNNING)
    started = timezone.now()
    with override_settings(JOBS_RUN_LOG_BATCH_SIZE=7, JOBS_RUN_LOG_PROCESS=writer_process), \
            capture_run_logs(run.pk) as handler:
        for i in range(100):
            log.info("line %d", i)
    assert handler.writer.written == 100
    times = list(RunLog.objects.filter(run=run).order_by("seq").values_list("created_at", flat=True))
    assert started - dt.timedelta(milliseconds=1) <= times[0] and times == sorted(times)
    assert times[-1] <= timezone.now()
    assert _messages(run) == [f"line {i}" for i in range(100)]
    assert list(RunLog.objects.filter(run=run).order_by("seq").values_list("seq", flat=True)) == list(range(1, 101))


@pytest.mark.django_db(transaction=True)
def test_short_run_is_stored_without_a_thread_and_on_demand():
    run = RunFactory(status=Run.Status.RUNNING)
    RunLogFlusher.shared()  # the process's one flusher thread, shared by every run
    before = threading.active_count()
    logs = capture_run_logs(run.pk, store_on_exit=False)
    with logs:
        log.warning("only line")
        assert threading.active_count() == before
    assert _messages(run) == []
    logs.store()
    logs.store()  # a second call stores nothing more
    assert _messages(run) == ["only line"]
    row = RunLog.objects.get(run=run)
    assert row.level == logging.WARNING and row.logger == "tests.runlog"


@pytest.mark.django_db(transaction=True)
def test_special_characters_survive_copy():
    run = RunFactory(status=Run.Status.RUNNING)
    tricky = ["tab\there", "new\nline", "back\\slash \\N", "cr\rlf", "nul\x00byte", "ünïcødé ✓", ""]
    with capture_run_logs(run.pk):
        for message in tricky:
            log.info("%s", message)
        logging.getLogger("x" * 250).info("long logger name")
    stored = _messages(run)
    assert stored[:-1] == [m.replace("\x00", "") for m in tricky]
    assert RunLog.objects.get(run=run, message="long logger name").logger == "x" * 200


@pytest.mark.django_db(transaction=True)
def test_other_threads_and_unencodable_lines_do_not_break_capture():
    run = RunFactory(status=Run.Status.RUNNING)
    with capture_run_logs(run.pk):
        log.info("mine")
        other = threading.Thread(target=log.info, args=("not mine",))
        other.start()
        other.join()
    assert _messages(run) == ["mine"]
    run2 = RunFactory(status=Run.Status.RUNNING)
    with capture_run_logs(run2.pk) as handler:
        log.info("lone surrogate \ud800")
    assert handler.writer.error is None
    assert _messages(run2) == ["lone surrogate ?"]


@pytest.mark.django_db
def test_inside_a_transaction_lines_are_written_on_the_callers_connection():
    run = RunFactory(status=Run.Status.RUNNING)
    with override_settings(JOBS_RUN_LOG_BATCH_SIZE=3), capture_run_logs(run.pk):
        for i in range(10):
            log.info("line %d", i)
    assert _messages(run) == [f"line {i}" for i in range(10)]


@pytest.mark.django_db(transaction=True)
@override_settings(JOBS_RUN_LOG_BATCH_SIZE=5, JOBS_RUN_LOG_PROCESS=True)
def test_a_failing_writer_process_is_reported_and_keeps_what_it_stored():
    run = RunFactory(status=Run.Status.RUNNING)
    # A line already stored at seq 8 makes the second batch (seq 6-10) fail in the process.
    RunLog.objects.create(run=run, seq=8, created_at=timezone.now(), level=20, logger="t", message="already there")
    with capture_run_logs(run.pk) as handler:
        for i in range(20):
            log.info("line %d", i)
    assert handler.writer.written == 5
    assert "duplicate key" in str(handler.writer.error)
    assert _messages(run) == [f"line {i}" for i in range(5)] + ["already there"]


@pytest.mark.django_db(transaction=True)
@override_settings(JOBS_RUN_LOG_BATCH_SIZE=5, JOBS_RUN_LOG_PROCESS=True)
def test_a_writer_process_that_cannot_start_costs_the_lines_not_the_run(monkeypatch):
    import jobs.logs.capture

    def cannot_start(*args, **kwargs):
        raise OSError("no such interpreter")

    monkeypatch.setattr(jobs.logs.capture, "LogPipe", cannot_start)
    run = RunFactory(status=Run.Status.RUNNING)
    with capture_run_logs(run.pk) as handler:
        for i in range(200):  # more batches than the writer's queue holds: nothing waits forever
            log.info("line %d", i)
    assert "no such interpreter" in str(handler.writer.error)
    assert handler.writer.seq == 200 and handler.writer.written == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("writer_process", [True, False], ids=["writer-process", "writer-thread"])
def test_a_run_that_goes_quiet_has_its_lines_stored_on_a_timer(writer_process):
    run = RunFactory(status=Run.Status.RUNNING)
    release = threading.Event()

    def hanging_run():
        with override_settings(JOBS_RUN_LOG_PROCESS=writer_process), capture_run_logs(run.pk):
            log.info("first")
            log.warning("second")
            release.wait(30)  # a run that hangs after two lines

    thread = threading.Thread(target=hanging_run)
    thread.start()
    try:
        wait_for(lambda: _messages(run) == ["first", "second"], timeout=10, message="the quiet run's lines")
    finally:
        release.set()
        thread.join()
    assert _messages(run) == ["first", "second"]


@pytest.mark.django_db(transaction=True)
@override_settings(JOBS_RUN_LOG_BATCH_SIZE=4)
def test_timed_and_full_batches_interleave_without_loss_or_reordering():
    run = RunFactory(status=Run.Status.RUNNING)
    with capture_run_logs(run.pk) as handler:
        for i in range(30):
            log.info("line %d", i)
            if i % 7 == 0:
                wait_for(lambda: handler.buffer[handler._handed:] == [], timeout=10, message="a timed flush")
    assert _messages(run) == [f"line {i}" for i in range(30)]
    assert list(RunLog.objects.filter(run=run).order_by("seq").values_list("seq", flat=True)) == list(range(1, 31))
