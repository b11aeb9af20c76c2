"""A job's arguments: the one check every entry point (admin, CLI, API, schedule) calls.

``arguments_validate`` loads raw data with the job type's marshmallow schema and raises
``ArgumentsInvalid`` with the schema's per-field messages; ``run_arguments_build`` adds
the job's defaults and the type's ``build_task_arguments`` and returns the JSON the task
receives. Nothing is stored here: callers check first, then create.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.utils import timezone
from marshmallow import ValidationError

from jobs.exceptions import ArgumentsInvalid, JobTypeUnavailable
from jobs.models import Job
from jobs.registry import RegisteredTask, registry


def to_json_safe(value: Any) -> Any:
    """Return ``value`` with datetimes as ISO-8601 (UTC offset), dates, decimals, UUIDs as strings."""
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value, dt.UTC)
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json_safe(v) for v in value]
    return value


def registered_type(task_type: str) -> type[RegisteredTask]:
    """The installed job type ``task_type``; ``JobTypeUnavailable`` when it is not installed."""
    registered = registry.get(task_type)
    if registered is None:
        raise JobTypeUnavailable(f"job type {task_type!r} is not installed")
    return registered


def arguments_validate(*, task_type: str, data: dict | None) -> dict:
    """Load ``data`` with the type's schema; raise ``ArgumentsInvalid`` with field messages."""
    registered = registered_type(task_type)
    if data is not None and not isinstance(data, dict):
        raise ArgumentsInvalid({"_schema": ["Arguments must be a JSON object."]})
    try:
        return registered.schema().load(data or {})
    except ValidationError as exc:
        raise ArgumentsInvalid(exc.messages) from exc


def default_args_clean(*, task_type: str, data: dict | None) -> dict:
    """Validate a job's default arguments and return them in their stored JSON form."""
    loaded = arguments_validate(task_type=task_type, data=data)
    given = {key: value for key, value in loaded.items() if key in (data or {})}
    return to_json_safe(registered_type(task_type).schema().dump(given))


def run_arguments_build(*, job: Job, args: dict | None = None) -> dict:
    """Validate ``args`` over the job's defaults and return the task's JSON arguments."""
    registered = registered_type(job.task_type)
    merged = {**(job.default_args or {}), **(args or {})}
    validated = arguments_validate(task_type=job.task_type, data=merged)
    # A Job instance kept across runs (a loop, a shell, a scheduler) caches its last runs.
    for cached in ("last_runs", "last_run"):
        job.__dict__.pop(cached, None)
    return to_json_safe(registered.build_task_arguments(job, **validated))
