"""Job types used by the tests (registered through ``JOBS_EXTRA_TYPES`` in tests/settings.py)."""

import logging
import time

from celery import shared_task
from marshmallow import fields, validate

from jobs import current_run
from jobs.registry import RegisteredTask

logger = logging.getLogger("tests.jobtypes")


@shared_task(name="tests.echo")
def echo(message="hello", lines=3):
    for i in range(lines):
        logger.info("line %s: %s", i, message)
    current_run().progress(lines, lines)
    return {"message": f"echoed {message}"}


class Echo(RegisteredTask):
    title = "Echo"
    description = "Log a message a number of times."
    task = echo
    arguments_schema = {
        "message": fields.String(load_default="hello"),
        "lines": fields.Integer(load_default=3, validate=validate.Range(min=0, max=1_000_000)),
    }


@shared_task(name="tests.fail")
def fail(reason="boom"):
    logger.warning("about to fail")
    raise RuntimeError(reason)


class Fail(RegisteredTask):
    title = "Fail"
    task = fail
    arguments_schema = {"reason": fields.String(load_default="boom")}


@shared_task(name="tests.since")
def since_task(since=None):
    logger.info("since=%s", since)
    return {"message": f"since={since}"}


class Since(RegisteredTask):
    """The seed-style contract: ``since`` defaults to the start of the last success."""

    title = "Since"
    task = since_task
    arguments_schema = {"since": fields.AwareDateTime(required=False, load_default=None, allow_none=True)}

    @classmethod
    def build_task_arguments(cls, job_obj, since=None):
        if since is None and job_obj.last_runs["success"]:
            since = job_obj.last_runs["success"].started_at
        return {"since": since}


@shared_task(name="tests.noop")
def noop(**kwargs):
    return None


class AllFields(RegisteredTask):
    title = "All field types"
    task = noop
    arguments_schema = {
        "text": fields.String(required=True),
        "count": fields.Integer(load_default=1),
        "ratio": fields.Float(load_default=0.5),
        "amount": fields.Decimal(required=False, places=2),
        "flag": fields.Boolean(load_default=False),
        "when": fields.DateTime(required=False),
        "day": fields.Date(required=False),
        "email": fields.Email(required=False),
        "url": fields.URL(required=False),
        "mode": fields.String(load_default="fast", validate=validate.OneOf(["fast", "slow"])),
        "tags": fields.List(fields.String(), load_default=list),
        "extra": fields.Dict(load_default=dict),
        "raw": fields.Raw(required=False),
    }


@shared_task(name="tests.partial")
def partial(bad=2, good=3):
    run = current_run()
    run.count("created", good)
    for i in range(bad):
        run.add_error(f"entry-{i}", "not valid")
    return {"message": f"{good} good, {bad} bad"}


class Partial(RegisteredTask):
    title = "Partial"
    task = partial
    arguments_schema = {"bad": fields.Integer(load_default=2), "good": fields.Integer(load_default=3)}


@shared_task(name="tests.slow")
def slow(seconds=5.0, obey_cancel=True, records=0):
    """Sleep ``seconds``; with ``records``, report 100 of them done every 0.05 s."""
    run = current_run()
    deadline = time.monotonic() + seconds
    done = 0
    while time.monotonic() < deadline:
        if obey_cancel:
            run.raise_if_cancelled()
        if records:
            done = min(records, done + 100)
            run.progress(done, records)
        time.sleep(0.05)
    return {"message": "slept"}


class Slow(RegisteredTask):
    title = "Slow"
    task = slow
    arguments_schema = {
        "seconds": fields.Float(load_default=5.0), "obey_cancel": fields.Boolean(load_default=True),
        "records": fields.Integer(load_default=0),
    }


@shared_task(name="tests.fanout")
def fanout(children=3, fail=(), errored=(), raise_after=False, then=""):
    """Spawn ``children`` subtasks; the ones in ``fail`` raise, the ones in ``errored`` record an errored entry.

    ``then`` ("returns" or "raises"): ``fanout_then`` is called after the last child.
    """
    run = current_run()
    if then:
        run.spawn_finally(fanout_then, {"raises": then == "raises"})
    for index in range(children):
        run.spawn(fanout_part, {"index": index, "fail": index in fail, "errored": index in errored}, title=f"part {index}")
    run.close_spawning()
    run.count("spawned", children)
    if raise_after:
        raise RuntimeError("the parent failed after spawning")
    return {"message": f"spawned {children}"}


@shared_task(name="tests.fanout_part")
def fanout_part(index, fail=False, errored=False):
    run = current_run()
    logger.info("part %s working", index)
    if fail:
        raise RuntimeError(f"part {index} failed")
    run.count("created", index + 1)
    if errored:
        run.add_error(f"record-{index}", "not valid")
    return {"message": f"part {index} done"}


@shared_task(name="tests.fanout_then")
def fanout_then(raises=False, children_ok=None):
    if raises:
        raise RuntimeError(f"the join failed (children_ok={children_ok})")
    return {"message": f"joined (children_ok={children_ok})"}


class FanOut(RegisteredTask):
    title = "Fan out"
    task = fanout
    arguments_schema = {
        "children": fields.Integer(load_default=3),
        "fail": fields.List(fields.Integer(), load_default=list),
        "errored": fields.List(fields.Integer(), load_default=list),
        "raise_after": fields.Boolean(load_default=False),
        "then": fields.String(load_default=""),
    }
    chains_ended: list = []  # what chain_ended was given, in order

    @classmethod
    def chain_ended(cls, run_ids):
        FanOut.chains_ended.append(run_ids)


class Counted(RegisteredTask):
    """Counts its ``build_task_arguments`` calls; each build's arguments carry its number."""

    title = "Counted"
    task = noop
    arguments_schema = {"n": fields.Integer(load_default=1)}
    builds = 0

    @classmethod
    def build_task_arguments(cls, job_obj, n=1):
        Counted.builds += 1
        return {"n": n, "build": Counted.builds}
