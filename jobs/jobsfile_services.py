"""Jobs as code, against the database: export every job, and apply a jobs file all or nothing.

``jobsfile_export`` gives each job without a key one (from its title) and returns the
file; ``jobsfile_apply`` parses the file, checks every job in it with the same schemas
and model validation as the admin (an unknown type, bad defaults, a bad schedule or
setting anywhere rejects the whole file before anything is written), plans the changes
(``jobs.jobsfile``) and, unless it is a dry run, makes them in one transaction through
the job and schedule services.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from jobs.arguments import default_args_clean
from jobs.exceptions import ArgumentsInvalid, ScheduleInvalid
from jobs.jobsfile import RUN_CONTROL, JobsFileInvalid, Plan, jobsfile_dump, jobsfile_parse, plan_make, without_none
from jobs.models import Job
from jobs.registry import registry
from jobs.scheduling import ticks
from jobs.scheduling.store import job_spec, schedule_clear, schedule_set
from jobs.services import job_create, job_update

logger = logging.getLogger(__name__)


def job_state(job: Job) -> dict:
    """The job as the jobs file describes it (``jobs.jobsfile``'s state)."""
    return {
        "title": job.title,
        "type": job.task_type,
        "description": job.description,
        "active": job.active,
        "queue": job.queue,
        "defaults": without_none(job.default_args or {}),
        "schedule": schedule_state(job_spec(job)),
        "run_control": {name: getattr(job, name) for name in RUN_CONTROL},
        "notifications": {"emails": job.notify_addresses(), "on": list(job.notify_on or [])},
    }


def schedule_state(spec) -> dict | None:
    if isinstance(spec, ticks.Crontab):
        return {"cron": spec.expression(), "timezone": spec.timezone}
    if isinstance(spec, ticks.Interval):
        state = {"every": spec.seconds}
        if spec.anchor != ticks.EPOCH:
            state["every_from"] = spec.anchor.astimezone(dt.UTC).isoformat()
        return state
    if isinstance(spec, ticks.OneOff):
        return {"at": spec.at.astimezone(dt.UTC).isoformat()}
    return None


@transaction.atomic
def job_keys_assign() -> list[Job]:
    """Give every job without a key one made from its title (unique); return those changed."""
    taken = set(Job.objects.exclude(key=None).values_list("key", flat=True))
    changed = []
    for job in Job.objects.filter(key=None).order_by("pk"):
        base = (slugify(job.title) or slugify(job.task_type) or "job")[:90]
        key, number = base, 2
        while key in taken:
            key, number = f"{base}-{number}", number + 1
        taken.add(key)
        Job.objects.filter(pk=job.pk, key=None).update(key=key)
        job.key = key
        changed.append(job)
        logger.info("job_key_assigned job_id=%s key=%s", job.pk, key)
    return changed


def jobs_by_key() -> dict[str, Job]:
    return {job.key: job for job in Job.objects.exclude(key=None).select_related("periodic_task")}


def jobsfile_export() -> str:
    """Every job as a jobs file (jobs without a key get one first)."""
    job_keys_assign()
    return jobsfile_dump({key: job_state(job) for key, job in jobs_by_key().items()})


def _desired_check(key: str, state: dict, current: Job | None, errors: list[str]) -> None:
    """Check one job of the file as the admin would; normalise its defaults to their stored form."""
    where = f"jobs.{key}"
    if state["type"] not in registry.types:
        errors.append(f"{where}.type: job type {state['type']!r} is not installed")
        return
    if current is not None and current.task_type != state["type"]:
        errors.append(f"{where}.type: a job's type cannot change ({current.task_type} -> {state['type']}); use a new key")
        return
    try:
        state["defaults"] = without_none(default_args_clean(task_type=state["type"], data=state["defaults"]))
    except ArgumentsInvalid as exc:
        errors.append(f"{where}.defaults: {exc}")
    candidate = Job(title=state["title"], task_type=state["type"], key=key, **_settings(state))
    try:
        candidate.full_clean(exclude=["default_args", "key"], validate_unique=False)
    except ValidationError as exc:
        errors += [f"{where}.{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items()]
    at = (state["schedule"] or {}).get("at")
    stored_at = (schedule_state(job_spec(current)) or {}).get("at") if current else None
    if at and at != stored_at and dt.datetime.fromisoformat(at) <= timezone.now():
        errors.append(f"{where}.schedule.at: {at} is in the past")


def _settings(state: dict) -> dict:
    """The state as keyword arguments of ``job_create`` / ``job_update``."""
    return {
        "description": state["description"],
        "active": state["active"],
        "queue": state["queue"],
        **state["run_control"],
        "notify_emails": "\n".join(state["notifications"]["emails"]),
        "notify_on": state["notifications"]["on"],
    }


def jobsfile_plan(text: str, *, prune: bool = False) -> tuple[Plan, dict[str, dict]]:
    """Parse and check the whole file (``JobsFileInvalid`` lists every problem); return the plan."""
    desired = jobsfile_parse(text)
    current = jobs_by_key()
    errors: list[str] = []
    for key, state in desired.items():
        _desired_check(key, state, current.get(key), errors)
    if errors:
        raise JobsFileInvalid(errors)
    return plan_make({key: job_state(job) for key, job in current.items()}, desired, prune=prune), desired


def jobsfile_apply(*, text: str, prune: bool = False, dry_run: bool = False, user=None) -> Plan:
    """Make the database match the file: all of it, or (on any invalid value) nothing."""
    plan, desired = jobsfile_plan(text, prune=prune)
    if dry_run or not plan.changes:
        return plan
    with transaction.atomic():
        current = jobs_by_key()
        for change in plan.changes:
            if change.action == "delete":
                job = schedule_clear(job=current[change.key])
                job.delete()
                logger.info("job_deleted key=%s", change.key)
                continue
            state = desired[change.key]
            if change.action == "create":
                job = job_create(title=state["title"], task_type=state["type"], default_args=state["defaults"],
                                 key=change.key, user=user, **_settings(state))
            else:
                job = job_update(job=current[change.key], title=state["title"], default_args=state["defaults"],
                                 **_settings(state))
            if any(path.startswith("schedule.") for path, _, _ in change.fields):
                _schedule_apply(job, state["schedule"])
    logger.info("jobsfile_applied created=%s changed=%s deleted=%s",
                plan.count("create"), plan.count("change"), plan.count("delete"))
    return plan


def _schedule_apply(job: Job, schedule: dict | None) -> None:
    try:
        if schedule is None:
            schedule_clear(job=job)
        elif "cron" in schedule:
            schedule_set(job=job, cron=schedule["cron"], tz=schedule["timezone"])
        elif "every" in schedule:
            anchor = schedule.get("every_from")
            schedule_set(job=job, every=schedule["every"], every_from=dt.datetime.fromisoformat(anchor) if anchor else None)
        else:
            schedule_set(job=job, at=dt.datetime.fromisoformat(schedule["at"]))
    except ScheduleInvalid as exc:  # checked before; a race (a time just passed) still rolls everything back
        raise JobsFileInvalid([f"jobs.{job.key}.schedule: {exc}"]) from exc
