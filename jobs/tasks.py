"""Thin Celery adapters: they take primary keys and call one function."""

import datetime as dt

from celery import shared_task
from celery.exceptions import TimeLimitExceeded
from celery.signals import task_failure

from jobs.execution import run_execute


@shared_task(name="jobs.execute_run", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def execute_run(run_id: int):
    return run_execute(run_id=run_id)


@shared_task(name="jobs.fire_schedule", acks_late=True, ignore_result=True)
def fire_schedule(job_id: int, due_at: str | None = None):
    from jobs.firing import tick_fire

    run = tick_fire(job_id=job_id, due_at=dt.datetime.fromisoformat(due_at) if due_at else None)
    return run.pk if run is not None else None


@shared_task(name="jobs.enforce_cancel", ignore_result=True)
def enforce_cancel(run_id: int):
    from jobs.runcontrol import cancel_enforce

    return cancel_enforce(run_id=run_id)


@task_failure.connect
def execute_run_hard_timeout(sender=None, task_id=None, exception=None, args=None, **kwargs):
    """The worker's main process reports a task killed by its hard time limit."""
    if getattr(sender, "name", None) == "jobs.execute_run" and isinstance(exception, TimeLimitExceeded) and args:
        from jobs.runcontrol import run_hard_timeout

        run_hard_timeout(run_id=int(args[0]), limit=exception.args[0] if exception.args else None)
