"""A job's arguments: the one check every entry point (admin, CLI, API, schedule) calls.

``arguments_validate`` loads raw data with the job type's marshmallow schema and raises
``ArgumentsInvalid`` with the schema's per-field messages; ``run_arguments_build`` adds
the job's defaults and the type's ``build_task_arguments`` and returns the JSON the task
receives. Nothing is stored here: callers check first, then create.

Before the schema sees them, raw arguments pass the same limits for every entry point
(``arguments_limits_check``): at most ``JOBS_ARGUMENTS_MAX_DEPTH`` levels of nesting and
``JOBS_ARGUMENTS_MAX_BYTES`` of JSON, no NUL character (PostgreSQL's JSON cannot store
it); loaded dates must lie in the years ``DATE_YEARS``. JSON text is read with
``ArgumentsJSONDecoder``, which turns a nesting too deep for Python's parser into a
decoding error instead of a ``RecursionError``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from typing import Any

from django.utils import timezone
from marshmallow import ValidationError

from jobs import conf
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


# Dates a job may be given: wide enough for any real dump, narrow enough that adding a
# time zone offset or an interval never overflows Python's datetime (years 1-9999).
DATE_YEARS = range(1000, 3000)


class ArgumentsJSONDecoder(json.JSONDecoder):
    """``json.loads(text, cls=ArgumentsJSONDecoder)``: too long or too deep is a ``JSONDecodeError``."""

    def decode(self, s, *args, **kwargs):
        limit = conf.get("JOBS_ARGUMENTS_MAX_BYTES")
        if len(s) > limit:
            raise json.JSONDecodeError(f"longer than {limit} characters", s[:40], limit)
        try:
            return super().decode(s, *args, **kwargs)
        except RecursionError:
            raise json.JSONDecodeError("nested too deeply", s[:40], 0) from None


def _limit_errors(value: Any) -> list[str]:
    """What is wrong with one argument's raw value (walked without recursion)."""
    max_depth = conf.get("JOBS_ARGUMENTS_MAX_DEPTH")
    errors: list[str] = []
    stack = [(value, 1)]
    while stack and not errors:
        item, depth = stack.pop()
        if isinstance(item, dict):
            items = list(item.keys()) + list(item.values())
        elif isinstance(item, (list, tuple)):
            items = list(item)
        else:
            if isinstance(item, str) and "\x00" in item:
                errors.append("Contains a NUL character (\\u0000), which cannot be stored.")
            continue
        if depth > max_depth:
            errors.append(f"Nested more than {max_depth} levels deep.")
        stack.extend((child, depth + 1) for child in items)
    return errors


def arguments_limits_check(data: dict) -> None:
    """Raise ``ArgumentsInvalid`` for raw arguments too deep, too large or holding a NUL."""
    errors = {str(key): found for key, value in data.items() if (found := _limit_errors(value))}
    if errors:
        raise ArgumentsInvalid(errors)
    limit = conf.get("JOBS_ARGUMENTS_MAX_BYTES")
    size = len(json.dumps(to_json_safe(data), default=str))
    if size > limit:
        raise ArgumentsInvalid({"_schema": [f"The arguments take {size} characters as JSON; at most {limit} are allowed."]})


def _date_errors(loaded: dict) -> dict:
    errors = {}
    for key, value in loaded.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        if any(isinstance(v, dt.date) and v.year not in DATE_YEARS for v in values):
            errors[key] = [f"Dates must lie between the years {DATE_YEARS.start} and {DATE_YEARS.stop - 1}."]
    return errors


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
    arguments_limits_check(data or {})
    try:
        loaded = registered.schema().load(data or {})
    except ValidationError as exc:
        raise ArgumentsInvalid(exc.messages) from exc
    if errors := _date_errors(loaded):
        raise ArgumentsInvalid(errors)
    return loaded


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
