"""Job types the job system registers for itself through its own contract."""

from celery import shared_task
from marshmallow import fields, validate

from jobs.context import current_run
from jobs.registry import RegisteredTask


@shared_task(name="jobs.purge_runs")
def purge_runs(keep_days: int = 90, keep_last: int = 10):
    from jobs.services import runs_purge

    result = runs_purge(keep_days=keep_days, keep_last=keep_last)
    current_run().count("deleted_runs", result["runs"])
    current_run().count("deleted_logs", result["logs"])
    return {"message": f"deleted {result['runs']} runs and {result['logs']} log lines"}


class PurgeRuns(RegisteredTask):
    """Delete old finished runs and their logs."""

    title = "Purge old runs and logs"
    description = "Delete finished runs older than N days and their logs, keeping each job's last K runs."
    task = purge_runs
    arguments_schema = {
        "keep_days": fields.Integer(load_default=90, validate=validate.Range(min=0), metadata={"help": "Keep runs newer than this many days."}),
        "keep_last": fields.Integer(load_default=10, validate=validate.Range(min=0), metadata={"help": "Always keep each job's newest K runs."}),
    }
