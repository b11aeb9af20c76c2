"""Thin Celery adapters: they take primary keys and call one function."""

from celery import shared_task

from jobs.execution import run_execute


@shared_task(name="jobs.execute_run", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def execute_run(run_id: int):
    return run_execute(run_id=run_id)
