"""Thin Celery adapters: they take primary keys and call one function.

Task names are stable (stored schedules and queued messages carry them); the lifecycle
sends them by name from ``jobs.runs.dispatch``.
"""

import datetime as dt

from celery import shared_task
from celery.exceptions import TimeLimitExceeded
from celery.signals import task_failure, worker_ready

from jobs.runs.cancel import cancel_enforce
from jobs.runs.dispatch import ENFORCE_CANCEL, EXECUTE_RUN, FIRE_SCHEDULE
from jobs.runs.ending import run_hard_timeout
from jobs.runs.execution import run_execute
from jobs.runs.outbox import OutboxWatcher
from jobs.scheduling.firing import tick_fire


@shared_task(name=EXECUTE_RUN, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def execute_run(run_id: int):
    return run_execute(run_id=run_id)


@shared_task(name=FIRE_SCHEDULE, acks_late=True, ignore_result=True)
def fire_schedule(job_id: int, due_at: str | None = None):
    run = tick_fire(job_id=job_id, due_at=dt.datetime.fromisoformat(due_at) if due_at else None)
    return run.pk if run is not None else None


@shared_task(name=ENFORCE_CANCEL, ignore_result=True)
def enforce_cancel(run_id: int):
    return cancel_enforce(run_id=run_id)


@task_failure.connect
def execute_run_hard_timeout(sender=None, task_id=None, exception=None, args=None, **kwargs):
    """The worker's main process reports a task killed by its hard time limit."""
    if getattr(sender, "name", None) == EXECUTE_RUN and isinstance(exception, TimeLimitExceeded) and args:
        run_hard_timeout(run_id=int(args[0]), limit=exception.args[0] if exception.args else None)


@worker_ready.connect
def outbox_watch(sender=None, **kwargs):
    """A starting worker sends the runs that waited for the broker, then keeps watching for more."""
    queues = sorted(sender.app.amqp.queues.consume_from) if sender is not None else None
    OutboxWatcher(queues).start()
