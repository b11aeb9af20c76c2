"""Execute one run: claim it, call the task in-process, record how it ended.

This is the one place that catches broad exceptions: whatever a task raises ends
its run ``failed`` with the exception's class, message and traceback.
"""

from __future__ import annotations

import logging
import socket
import threading
import traceback as tb

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connections
from django.utils import timezone

from jobs import context
from jobs.exceptions import PartialSuccess, RunCancelled
from jobs.models import Run
from jobs.runlog import capture_run_logs
from jobs.services import run_transition

logger = logging.getLogger(__name__)
Status = Run.Status


class RunMonitor(threading.Thread):
    """Refresh the heartbeat and write reported progress while the task runs.

    Runs off the task's thread with its own connection, so a task busy in C code or
    holding the GIL briefly still shows as alive, and progress costs the task nothing.
    """

    def __init__(self, run_id: int, handle: context.RunHandle):
        super().__init__(name=f"run-monitor-{run_id}", daemon=True)
        self.run_id = run_id
        self.handle = handle
        self.stopped = threading.Event()
        self.interval = min(settings.JOBS_HEARTBEAT_SECONDS, settings.JOBS_PROGRESS_FLUSH_SECONDS)

    def run(self):
        last_beat = 0.0
        try:
            while not self.stopped.wait(self.interval):
                now = timezone.now()
                fields = {}
                if self.handle.dirty:
                    fields.update(self.handle.snapshot())
                if fields or now.timestamp() - last_beat >= settings.JOBS_HEARTBEAT_SECONDS:
                    fields["heartbeat_at"] = now
                    last_beat = now.timestamp()
                    Run.objects.filter(pk=self.run_id, status__in=Run.ACTIVE_STATUSES).update(**fields)
        finally:
            connections.close_all()

    def stop(self):
        self.stopped.set()
        self.join()


def _cancel_check(run_id):
    def check():
        return Run.objects.filter(pk=run_id, status=Status.CANCELLING).exists()

    return check


def run_execute(*, run_id: int) -> str | None:
    """Run ``run_id`` if it is still queued; return its final status (None when not claimed)."""
    now = timezone.now()
    claimed = run_transition(
        run_id=run_id,
        from_statuses=[Status.QUEUED],
        to_status=Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        host=socket.gethostname()[:255],
    )
    if not claimed:
        status = Run.objects.filter(pk=run_id).values_list("status", flat=True).first()
        logger.info("run_not_claimed run_id=%s status=%s", run_id, status)
        return None

    run = Run.objects.select_related("job").get(pk=run_id)
    handle = context.RunHandle(run.pk, max_errors=settings.JOBS_MAX_ERRORED_ENTRIES, cancel_check=_cancel_check(run.pk))
    # Inside a caller's transaction another connection would wait on the run's row lock.
    monitor = None if connections["default"].in_atomic_block else RunMonitor(run.pk, handle)
    outcome: dict = {}
    token = context.activate(handle)
    if monitor is not None:
        monitor.start()
    try:
        with capture_run_logs(run.pk):
            outcome = _call(run, handle)
    finally:
        if monitor is not None:
            monitor.stop()
        context.deactivate(token)

    final = dict(handle.snapshot(), **outcome)
    status = final.pop("status")
    if not run_transition(
        run_id=run.pk, from_statuses=[Status.RUNNING, Status.CANCELLING], to_status=status, **final
    ):
        current = Run.objects.filter(pk=run.pk).values_list("status", flat=True).first()
        logger.warning("run_end_lost run_id=%s wanted=%s current=%s", run.pk, status, current)
        return current
    logger.info("run_finished run_id=%s status=%s", run.pk, status)
    _after_end(run, status)
    return status


def _after_end(run: Run, status: str) -> None:
    """Retry, release the job's waiting run, notify (jobs.followups)."""
    from jobs.followups import run_followups

    run_followups(run_id=run.pk, status=status, job=run.job)


def _call(run: Run, handle: context.RunHandle) -> dict:
    """Call the registered task with the run's arguments; describe how it ended."""
    registered = run.job.registered_task
    if registered is None:
        return {"status": Status.FAILED, "message": f"Job type {run.job.task_type!r} is not installed."}
    task_logger = logging.getLogger(getattr(registered.task, "__module__", __name__))
    try:
        task_logger.info("run_started run_id=%s job=%s", run.pk, run.job.title)
        result = registered.task(**(run.args or {}))
    except RunCancelled as exc:
        return {"status": Status.CANCELLED, "message": str(exc) or "cancelled on request"}
    except PartialSuccess as exc:
        if exc.errored is not None:
            handle.counters["errored"] = max(handle.errored, int(exc.errored))
        return {"status": Status.PARTIAL_SUCCESS, "message": str(exc)}
    except SoftTimeLimitExceeded:
        limit = run.job.soft_time_limit
        return {"status": Status.FAILED, "message": f"timed out after {limit} s", "traceback": tb.format_exc()}
    except Exception as exc:  # noqa: BLE001 - the one place that turns any failure into a failed run
        task_logger.error("run_failed run_id=%s error=%s: %s", run.pk, type(exc).__name__, exc)
        return {
            "status": Status.FAILED,
            "message": f"{type(exc).__name__}: {exc}",
            "traceback": tb.format_exc(),
        }
    return _success(result, handle)


def _success(result, handle: context.RunHandle) -> dict:
    """Map a task's return value to the run's end: counts of errored entries mean partial success."""
    message = ""
    if isinstance(result, dict):
        for key, value in result.items():
            if isinstance(value, int) and not isinstance(value, bool) and key not in handle.counters:
                handle.counters[key] = value
        message = str(result.get("message", ""))
    elif isinstance(result, str):
        message = result
    if handle.errored:
        return {"status": Status.PARTIAL_SUCCESS, "message": message or f"{handle.errored} entries errored"}
    return {"status": Status.SUCCESS, "message": message}
