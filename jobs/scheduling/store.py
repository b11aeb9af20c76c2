"""A job's schedule, stored in django-celery-beat: the only module that writes its tables.

Each scheduled job owns one ``PeriodicTask`` (``Job.periodic_task``) that sends
``jobs.fire_schedule`` with the job's id. Its schedule is an interval, a crontab with
its own time zone, or a one-off clocked time. Pausing the job disables the task and
keeps the schedule. After every write ``PeriodicTasks.update_changed()`` tells running
beat processes to reload, so edits take effect without a restart.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cron_descriptor import ExpressionDescriptor, Options
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    PeriodicTasks,
)
from kombu.utils.json import dumps

from jobs.exceptions import ScheduleInvalid
from jobs.models import Job
from jobs.scheduling import ticks

logger = logging.getLogger(__name__)

FIRE_TASK = "jobs.fire_schedule"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_EVERY = re.compile(r"^\s*(\d+)\s*([smhd])\s*$", re.IGNORECASE)
# Limits that keep every schedule storable and its tick arithmetic within Python's dates:
# django-celery-beat's column sizes, an interval of at most a year, one-offs before 3000.
_CRON_FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
MAX_INTERVAL_SECONDS = 366 * 86400
MAX_TIMEZONE_LENGTH = 63
MAX_ONE_OFF_YEAR = 2999


def _shown(text) -> str:
    """``text`` quoted for a message, cut to a readable length."""
    text = str(text or "")
    return repr(text) if len(text) <= 60 else f"{text[:57]!r}... ({len(text)} characters)"


# --- parsing (pure) ----------------------------------------------------------------


def parse_every(text: str) -> int:
    """"90s", "5m", "1h", "2d" -> seconds."""
    match = _EVERY.match(text or "") if len(text or "") <= 32 else None
    if not match or int(match.group(1)) == 0:
        raise ScheduleInvalid(f"interval {_shown(text)} is not a positive number with a unit s, m, h or d (e.g. 15m)")
    seconds = int(match.group(1)) * _UNITS[match.group(2).lower()]
    if seconds > MAX_INTERVAL_SECONDS:
        raise ScheduleInvalid(f"interval {_shown(text)} is longer than {MAX_INTERVAL_SECONDS // 86400} days")
    return seconds


def parse_cron(expression: str, tz: str = "UTC") -> ticks.Crontab:
    """Five crontab fields (minute hour day-of-month month day-of-week) in time zone ``tz``."""
    parts = (expression or "").split()
    if len(parts) != 5:
        raise ScheduleInvalid(f"crontab {_shown(expression)} needs 5 fields: minute hour day-of-month month day-of-week")
    for name, part in zip(_CRON_FIELDS, parts, strict=True):
        limit = CrontabSchedule._meta.get_field(name).max_length
        if len(part) > limit:
            raise ScheduleInvalid(f"crontab field {name.replace('_', ' ')} is longer than {limit} characters")
    if len(tz or "") > MAX_TIMEZONE_LENGTH:
        raise ScheduleInvalid(f"time zone {_shown(tz)} is longer than {MAX_TIMEZONE_LENGTH} characters")
    minute, hour, dom, month, dow = parts
    try:
        return ticks.Crontab(minute, hour, dom, month, dow, timezone=tz)
    except (ZoneInfoNotFoundError, OSError) as exc:  # OSError: a name no file system accepts
        raise ScheduleInvalid(f"unknown time zone {_shown(tz)}") from exc
    except (ValueError, IndexError) as exc:
        raise ScheduleInvalid(f"crontab {_shown(expression)} is not valid: {exc}") from exc


def parse_at(text: str, *, now: dt.datetime | None = None) -> dt.datetime:
    """An ISO-8601 date and time with a UTC offset, in the future."""
    try:
        at = dt.datetime.fromisoformat(text) if len(text or "") <= 64 else None
    except (TypeError, ValueError) as exc:
        raise ScheduleInvalid(f"{_shown(text)} is not an ISO-8601 date and time (e.g. 2026-12-01T03:00+01:00)") from exc
    if at is None:
        raise ScheduleInvalid(f"{_shown(text)} is not an ISO-8601 date and time (e.g. 2026-12-01T03:00+01:00)")
    if timezone.is_naive(at):
        raise ScheduleInvalid(f"{text!r} needs a UTC offset (e.g. +01:00 or Z)")
    if at.year > MAX_ONE_OFF_YEAR:
        raise ScheduleInvalid(f"{text!r} is after the year {MAX_ONE_OFF_YEAR}")
    if at <= (now or timezone.now()):
        raise ScheduleInvalid(f"{text!r} is in the past")
    return at.astimezone(dt.UTC)


# --- reading -------------------------------------------------------------------------


def spec_from_periodic_task(task: PeriodicTask) -> ticks.Spec | None:
    """The tick arithmetic for a stored schedule (None for solar or missing schedules)."""
    if task.interval_id:
        interval = task.interval
        seconds = int(dt.timedelta(**{interval.period: interval.every}).total_seconds())
        if task.start_time is not None:
            return ticks.Interval(seconds, anchor=task.start_time.astimezone(dt.UTC))
        return ticks.Interval(seconds)
    if task.crontab_id:
        c = task.crontab
        return ticks.Crontab(c.minute, c.hour, c.day_of_month, c.month_of_year, c.day_of_week, timezone=str(c.timezone))
    if task.clocked_id:
        return ticks.OneOff(task.clocked.clocked_time.astimezone(dt.UTC))
    return None


def job_spec(job: Job) -> ticks.Spec | None:
    if not job.periodic_task_id:
        return None
    return spec_from_periodic_task(job.periodic_task)


def _seconds_in_words(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            n = seconds // size
            return f"every {unit}" if n == 1 else f"every {n} {unit}s"
    return "every second" if seconds == 1 else f"every {seconds} seconds"


def schedule_describe(job: Job) -> str:
    """The job's schedule in words ("At 03:00 AM (Europe/Zurich)"), "paused: ..." or "Not scheduled"."""
    spec = job_spec(job)
    if spec is None:
        return "Not scheduled"
    if isinstance(spec, ticks.Interval):
        words = _seconds_in_words(spec.seconds).capitalize()
    elif isinstance(spec, ticks.Crontab):
        options = Options()
        options.use_24hour_time_format = True
        words = f"{ExpressionDescriptor(spec.expression(), options).get_description()} ({spec.timezone})"
    else:
        words = f"Once at {spec.at.isoformat()}"
        if job.active and not job.periodic_task.enabled:
            return f"{words} (done)"
    if not job.active or not job.periodic_task.enabled:
        return f"Paused: {words[0].lower()}{words[1:]}"
    return words


def schedule_timezone(job: Job) -> ZoneInfo:
    spec = job_spec(job)
    if isinstance(spec, ticks.Crontab):
        return spec.tz
    return ZoneInfo(timezone.get_current_timezone_name())


def schedule_next_fire_times(job: Job, n: int = 5, *, now: dt.datetime | None = None) -> list[dt.datetime]:
    """The next ``n`` due times in the schedule's time zone (empty when paused or unscheduled)."""
    spec = job_spec(job)
    if spec is None or not job.active or not job.periodic_task.enabled:
        return []
    tz = schedule_timezone(job)
    return [t.astimezone(tz) for t in ticks.next_ticks(spec, now or timezone.now(), n)]


# --- writing -------------------------------------------------------------------------


def _task_name(job: Job) -> str:
    return f"Job {job.pk}: {job.title}"[:200]


@transaction.atomic
def schedule_set(
    *,
    job: Job,
    cron: str | None = None,
    tz: str = "UTC",
    every: str | int | None = None,
    at: str | dt.datetime | None = None,
    every_from: dt.datetime | None = None,
) -> Job:
    """Give ``job`` exactly one schedule: a crontab (in ``tz``), an interval or a one-off time.

    An interval's ticks are multiples of it from the Unix epoch, or from ``every_from``.
    """
    given = [name for name, value in (("cron", cron), ("every", every), ("at", at)) if value]
    if len(given) != 1:
        raise ScheduleInvalid("give exactly one of a crontab, an interval or a date and time")
    fields = {"interval": None, "crontab": None, "clocked": None, "one_off": False}
    if cron:
        spec = parse_cron(cron, tz)
        fields["crontab"], _ = CrontabSchedule.objects.get_or_create(
            minute=spec.minute, hour=spec.hour, day_of_month=spec.day_of_month,
            month_of_year=spec.month_of_year, day_of_week=spec.day_of_week, timezone=spec.timezone,
        )
    elif every:
        seconds = every if isinstance(every, int) else parse_every(every)
        if seconds <= 0:
            raise ScheduleInvalid("the interval must be positive")
        fields["interval"], _ = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
    else:
        moment = at if isinstance(at, dt.datetime) else parse_at(at)
        if timezone.is_naive(moment):
            raise ScheduleInvalid("the date and time needs a UTC offset")
        fields["clocked"] = ClockedSchedule.objects.create(clocked_time=moment)
        fields["one_off"] = True

    job = Job.objects.select_for_update().get(pk=job.pk)
    task = job.periodic_task or PeriodicTask(task=FIRE_TASK)
    old_clocked = task.clocked if task.pk and task.clocked_id else None
    for name, value in fields.items():
        setattr(task, name, value)
    task.name = _task_name(job)
    task.task = FIRE_TASK
    task.kwargs = dumps({"job_id": job.pk})
    task.enabled = job.active
    task.description = f"Schedule of job {job.pk} (edit it on the job's page)."
    task.start_time = every_from if every else None
    # Ticks before this edit are not owed: count from now.
    now = timezone.now()
    task.last_run_at = now
    task.total_run_count = 0
    task.save()  # a disabled task's save() clears last_run_at: keep `now` for updated_at below
    if old_clocked is not None and old_clocked.pk != task.clocked_id:
        old_clocked.delete()
    # updated_at marks where the new schedule starts owing ticks (jobs.firing).
    Job.objects.filter(pk=job.pk).update(periodic_task=task, updated_at=now)
    job.periodic_task = task
    PeriodicTasks.update_changed()
    logger.info("schedule_set job_id=%s schedule=%s", job.pk, given[0])
    return job


@transaction.atomic
def schedule_clear(*, job: Job) -> Job:
    """Remove the job's schedule altogether."""
    job = Job.objects.select_for_update().get(pk=job.pk)
    task = job.periodic_task
    if task is not None:
        Job.objects.filter(pk=job.pk).update(periodic_task=None)
        clocked = task.clocked if task.clocked_id else None
        task.delete()
        if clocked is not None:
            clocked.delete()
        job.periodic_task = None
        PeriodicTasks.update_changed()
        logger.info("schedule_cleared job_id=%s", job.pk)
    return job


def _kwargs(task: PeriodicTask):
    try:
        return json.loads(task.kwargs or "{}")
    except ValueError:
        return None


def schedule_drift(*, job: Job, task: PeriodicTask, now: dt.datetime | None = None) -> dict:
    """Fields of the job's task that disagree with the job, with the values they should have.

    A one-off task that already fired (or whose time passed while the job was paused)
    stays disabled: it is done, not paused.
    """
    changes = {}
    if task.enabled and not job.active:
        changes["enabled"] = False
    elif job.active and not task.enabled:
        done = task.one_off and task.clocked_id and task.clocked.clocked_time <= (now or timezone.now())
        if not done:
            changes["enabled"] = True
    if task.name != _task_name(job):
        changes["name"] = _task_name(job)
    if task.task != FIRE_TASK:
        changes["task"] = FIRE_TASK
    if _kwargs(task) != {"job_id": job.pk}:
        changes["kwargs"] = dumps({"job_id": job.pk})
    if task.args not in ("", "[]"):
        changes["args"] = "[]"
    return changes


def schedule_sync(*, job: Job, task: PeriodicTask | None = None) -> list[str]:
    """Make the job's task follow the job (active flag, title, what it sends); return the fields changed.

    ``task`` is the job's task when the caller has it loaded (with its ``clocked``).
    A resumed schedule owes no ticks from its pause.
    """
    if not job.periodic_task_id:
        return []
    if task is None:
        task = PeriodicTask.objects.select_related("clocked").get(pk=job.periodic_task_id)
    changes = schedule_drift(job=job, task=task)
    if changes.get("enabled"):
        changes["last_run_at"] = timezone.now()
        Job.objects.filter(pk=job.pk).update(updated_at=changes["last_run_at"])
    if changes:
        PeriodicTask.objects.filter(pk=task.pk).update(**changes)
        PeriodicTasks.update_changed()
        logger.info("schedule_synced job_id=%s changes=%s", job.pk, sorted(changes))
    return sorted(set(changes) - {"last_run_at"})


def schedule_orphans():
    """Tasks that send the job tick but are no job's schedule (their job was deleted, or unlinked)."""
    return PeriodicTask.objects.filter(task=FIRE_TASK, job__isnull=True).select_related("clocked").order_by("pk")


@transaction.atomic
def schedule_orphans_delete() -> list[PeriodicTask]:
    """Delete every orphan task (and its one-off time); return them."""
    orphans = list(schedule_orphans().select_for_update(of=("self",)))
    if not orphans:
        return []
    clocked_ids = {task.clocked_id for task in orphans if task.clocked_id}
    PeriodicTask.objects.filter(pk__in=[task.pk for task in orphans], job__isnull=True).delete()
    ClockedSchedule.objects.filter(pk__in=clocked_ids, periodictask__isnull=True).delete()
    PeriodicTasks.update_changed()
    logger.info("schedule_orphans_deleted task_ids=%s", [task.pk for task in orphans])
    return orphans
