"""The job type of ``bench/subtasks.py``: a parent that spawns no-op subtasks (registered through JOBS_EXTRA_TYPES)."""

from celery import shared_task
from marshmallow import fields, validate

from jobs import current_run
from jobs.registry import RegisteredTask


@shared_task(name="bench.subtask_noop")
def subtask_noop(index=0):
    return None


@shared_task(name="bench.spawn_noops")
def spawn_noops(children=1000):
    """Spawn ``children`` no-op subtasks, then return: the run ends when the last one has."""
    run = current_run()
    for index in range(children):
        run.spawn(subtask_noop, {"index": index}, title=f"no-op {index}")
    run.close_spawning()
    return {"message": f"spawned {children}"}


class SpawnNoops(RegisteredTask):
    title = "Bench: no-op subtasks"
    description = "Spawn a number of no-op subtasks (subtask overhead benchmark)."
    task = spawn_noops
    arguments_schema = {"children": fields.Integer(load_default=1000, validate=validate.Range(min=1))}
