"""Job types the job system registers for itself through its own contract (entry points in pyproject.toml).

Their Celery task names (``jobs.purge_runs``, ``jobs.reap_lost_runs``) are stable: stored
schedules and queued messages name them.
"""

from celery import shared_task
from marshmallow import fields, validate

from jobs.registry import RegisteredTask
from jobs.runs.context import current_run
from jobs.runs.purge import runs_purge
from jobs.runs.quiet import quiet_message
from jobs.runs.reaper import runs_reap


@shared_task(name="jobs.purge_runs")
def purge_runs(keep_days: int = 90, keep_last: int = 10):
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


@shared_task(name="jobs.reap_lost_runs")
def reap_lost_runs():
    counts = runs_reap()
    run = current_run()
    for name, value in counts.items():
        run.count(name, value)
    # "nothing to do" marks a quiet run: the run list hides those by default (jobs.runs.quiet).
    return {"message": quiet_message(counts, describe=lambda c: ", ".join(f"{value} {name}" for name, value in c.items()))}


class ReapLostRuns(RegisteredTask):
    """End runs whose worker was lost; send again runs whose message was lost."""

    title = "Reap lost runs"
    description = (
        "Fail running runs whose worker stopped sending heartbeats, finish cancelling runs past the grace, "
        "and send queued runs whose message never reached a worker once more."
    )
    task = reap_lost_runs
    arguments_schema: dict = {}
