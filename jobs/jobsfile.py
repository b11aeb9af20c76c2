"""Jobs as code: the jobs file (TOML) read, written and compared with the database, purely.

A job's *state* is a plain dict, the same whether it comes from the file or from the
database (``jobs.jobsfile_services.job_state``)::

    {"title", "type", "description", "active", "queue", "defaults": {...},
     "schedule": None | {"cron", "timezone"} | {"every": seconds, "every_from"?} | {"at"},
     "run_control": {"overlap_policy", "missed_grace_seconds", "soft_time_limit"?, ...},
     "notifications": {"emails": [...], "on": [...]}}

``jobsfile_parse`` turns a file into ``{key: state}`` (or raises ``JobsFileInvalid`` with
every problem), ``jobsfile_dump`` writes states back, ``plan_make`` compares two sets of
states field by field and ``plan_lines`` prints the plan like ``terraform plan``. Nothing
here touches the database.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field

import tomli_w

from jobs.exceptions import ScheduleInvalid
from jobs.models import Job
from jobs.scheduling.store import parse_cron, parse_every

VERSION = 1
KEY = re.compile(r"^[-a-zA-Z0-9_]{1,100}$")
TOP = {"title", "type", "description", "active", "queue", "defaults", "schedule", "run_control", "notifications"}
RUN_CONTROL = {
    "overlap_policy": str, "missed_grace_seconds": int, "soft_time_limit": int, "time_limit": int,
    "max_retries": int, "retry_backoff_seconds": int, "slow_factor": (int, float),
}
NOTIFICATIONS = {"emails", "on"}
SCHEDULE_KINDS = ("cron", "every", "at")
_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


class JobsFileInvalid(ValueError):
    """A jobs file that cannot be applied; ``errors`` lists every problem as "where: what"."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


@dataclass
class Change:
    action: str  # "create", "change" or "delete"
    key: str
    title: str
    fields: list[tuple[str, object, object]] = field(default_factory=list)  # (path, old, new)


@dataclass
class Plan:
    changes: list[Change]
    kept: list[str] = field(default_factory=list)  # keys in the database, not in the file, not pruned

    def count(self, action: str) -> int:
        return sum(1 for change in self.changes if change.action == action)


def model_default(name: str):
    return Job._meta.get_field(name).get_default()


def every_text(seconds: int) -> str:
    """3600 -> "1h": the largest unit that divides the interval."""
    for unit, size in _UNITS:
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


# --- file -> states -------------------------------------------------------------------


def jobsfile_parse(text: str) -> dict[str, dict]:
    """The file's jobs as ``{key: state}``; ``JobsFileInvalid`` lists every problem found."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise JobsFileInvalid([f"not valid TOML: {exc}"]) from exc
    errors: list[str] = []
    if data.get("version", VERSION) != VERSION:
        errors.append(f"version: this site reads version {VERSION}")
    unknown = set(data) - {"version", "jobs"}
    if unknown:
        errors.append(f"unknown top-level keys: {', '.join(sorted(unknown))}")
    jobs = data.get("jobs", {})
    if not isinstance(jobs, dict):
        raise JobsFileInvalid(errors + ["jobs: must be a table of jobs, [jobs.<key>]"])
    states = {}
    for key, entry in jobs.items():
        where = f"jobs.{key}"
        if not KEY.match(key):
            errors.append(f"{where}: a key is 1-100 letters, digits, '-' or '_'")
            continue
        if not isinstance(entry, dict):
            errors.append(f"{where}: must be a table")
            continue
        state = _entry_state(entry, where, errors)
        if state is not None:
            states[key] = state
    if errors:
        raise JobsFileInvalid(errors)
    return states


def _typed(value, kind, where: str, errors: list[str]):
    if isinstance(value, bool) and kind is not bool:
        errors.append(f"{where}: expected {getattr(kind, '__name__', 'a number')}, got a boolean")
        return None
    if not isinstance(value, kind):
        name = kind.__name__ if isinstance(kind, type) else "a number"
        errors.append(f"{where}: expected {name}, got {type(value).__name__}")
        return None
    return value


def _entry_state(entry: dict, where: str, errors: list[str]) -> dict | None:
    before = len(errors)
    unknown = set(entry) - TOP
    if unknown:
        errors.append(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    for required in ("title", "type"):
        if not isinstance(entry.get(required), str) or not entry.get(required):
            errors.append(f"{where}.{required}: required (a string)")
    state = {
        "title": entry.get("title"),
        "type": entry.get("type"),
        "description": _typed(entry.get("description", ""), str, f"{where}.description", errors),
        "active": _typed(entry.get("active", True), bool, f"{where}.active", errors),
        "queue": _typed(entry.get("queue", ""), str, f"{where}.queue", errors),
        "defaults": _typed(entry.get("defaults", {}), dict, f"{where}.defaults", errors),
        "schedule": _schedule_parse(entry.get("schedule"), f"{where}.schedule", errors),
        "run_control": _run_control_parse(entry.get("run_control", {}), f"{where}.run_control", errors),
        "notifications": _notifications_parse(entry.get("notifications", {}), f"{where}.notifications", errors),
    }
    return state if len(errors) == before else None


def _schedule_parse(schedule, where: str, errors: list[str]) -> dict | None:
    if schedule is None:
        return None
    if not isinstance(schedule, dict):
        errors.append(f"{where}: must be a table")
        return None
    kinds = [kind for kind in SCHEDULE_KINDS if kind in schedule]
    allowed = {"cron": {"cron", "timezone"}, "every": {"every", "every_from"}, "at": {"at"}}
    if len(kinds) != 1:
        errors.append(f"{where}: give exactly one of cron, every or at")
        return None
    kind = kinds[0]
    unknown = set(schedule) - allowed[kind]
    if unknown:
        errors.append(f"{where}: unknown keys {', '.join(sorted(unknown))} for a {kind} schedule")
        return None
    try:
        if kind == "cron":
            timezone = schedule.get("timezone", "UTC")
            spec = parse_cron(str(schedule["cron"]), str(timezone))
            return {"cron": spec.expression(), "timezone": spec.timezone}
        if kind == "every":
            every = schedule["every"]
            seconds = every if isinstance(every, int) and not isinstance(every, bool) else parse_every(str(every))
            if seconds <= 0:
                raise ScheduleInvalid("the interval must be positive")
            state = {"every": seconds}
            if "every_from" in schedule:
                state["every_from"] = _aware(schedule["every_from"], f"{where}.every_from").isoformat()
            return state
        return {"at": _aware(schedule["at"], f"{where}.at").isoformat()}
    except ScheduleInvalid as exc:
        errors.append(f"{where}: {exc}")
        return None


def _aware(value, where: str) -> dt.datetime:
    """A TOML offset date-time (or an ISO-8601 string with an offset), in UTC."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError as exc:
            raise ScheduleInvalid(f"{value!r} is not an ISO-8601 date and time") from exc
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise ScheduleInvalid("needs a date and time with a UTC offset (e.g. 2026-12-01T03:00:00+01:00)")
    return value.astimezone(dt.UTC)


def _run_control_parse(values, where: str, errors: list[str]) -> dict:
    if not isinstance(values, dict):
        errors.append(f"{where}: must be a table")
        return {}
    unknown = set(values) - set(RUN_CONTROL)
    if unknown:
        errors.append(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    state = {}
    for name, kind in RUN_CONTROL.items():
        value = values.get(name, model_default(name))
        state[name] = None if value is None else _typed(value, kind, f"{where}.{name}", errors)
    if isinstance(state.get("slow_factor"), int):
        state["slow_factor"] = float(state["slow_factor"])
    return state


def _notifications_parse(values, where: str, errors: list[str]) -> dict:
    if not isinstance(values, dict):
        errors.append(f"{where}: must be a table")
        return {"emails": [], "on": []}
    unknown = set(values) - NOTIFICATIONS
    if unknown:
        errors.append(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    state = {}
    for name in sorted(NOTIFICATIONS):
        value = values.get(name, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            errors.append(f"{where}.{name}: expected a list of strings")
            value = []
        state[name] = value
    return state


# --- states -> file -------------------------------------------------------------------


def jobsfile_dump(states: dict[str, dict]) -> str:
    """The TOML text of ``states`` (what ``jobsfile_parse`` reads back unchanged)."""
    jobs = {}
    for key in sorted(states):
        state = states[key]
        entry = {name: state[name] for name in ("title", "type", "description", "active", "queue")}
        entry["defaults"] = without_none(state["defaults"])
        schedule = state["schedule"]
        if schedule is not None:
            schedule = dict(schedule)
            if "every" in schedule:
                schedule["every"] = every_text(schedule["every"])
            for moment in ("at", "every_from"):
                if moment in schedule:
                    schedule[moment] = dt.datetime.fromisoformat(schedule[moment])
            entry["schedule"] = schedule
        entry["run_control"] = without_none(state["run_control"])
        entry["notifications"] = state["notifications"]
        jobs[key] = entry
    header = "# Jobs of this site: `manage.py jobs export` wrote it, `manage.py jobs apply FILE` applies it.\n"
    return header + tomli_w.dumps({"version": VERSION, "jobs": jobs})


def without_none(values: dict) -> dict:
    """TOML has no null: a value that is None is the same as one not given."""
    return {key: value for key, value in values.items() if value is not None}


# --- plan -----------------------------------------------------------------------------


def flatten(state: dict) -> dict[str, object]:
    """Dotted paths to leaf values ("run_control.max_retries"); None values left out."""
    flat = {}
    for name, value in state.items():
        if name in ("defaults", "run_control", "notifications", "schedule") and isinstance(value, dict):
            for sub, leaf in value.items():
                if leaf is not None:
                    flat[f"{name}.{sub}"] = leaf
        elif value is not None:
            flat[name] = value
    return flat


def state_diff(old: dict, new: dict) -> list[tuple[str, object, object]]:
    before, after = flatten(old), flatten(new)
    return [(path, before.get(path), after.get(path))
            for path in sorted(set(before) | set(after)) if before.get(path) != after.get(path)]


def plan_make(current: dict[str, dict], desired: dict[str, dict], *, prune: bool = False) -> Plan:
    """What makes ``current`` match ``desired``: creates, changes and (with ``prune``) deletes."""
    changes = []
    for key in sorted(desired):
        if key not in current:
            changes.append(Change("create", key, desired[key]["title"], state_diff({}, desired[key])))
            continue
        diff = state_diff(current[key], desired[key])
        if diff:
            changes.append(Change("change", key, desired[key]["title"], diff))
    gone = sorted(set(current) - set(desired))
    if prune:
        changes += [Change("delete", key, current[key]["title"], state_diff(current[key], {})) for key in gone]
    return Plan(changes=changes, kept=[] if prune else gone)


def _shown(value) -> str:
    return "(none)" if value is None else repr(value)


def plan_lines(plan: Plan) -> list[str]:
    """The plan as ``terraform plan`` prints one: + create, ~ change, - delete, field by field."""
    lines = []
    for change in plan.changes:
        sign = {"create": "+", "change": "~", "delete": "-"}[change.action]
        lines.append(f"{sign} {change.action} jobs.{change.key} ({change.title})")
        for path, old, new in change.fields:
            if change.action == "create":
                lines.append(f"    + {path} = {_shown(new)}")
            elif change.action == "delete":
                lines.append(f"    - {path} = {_shown(old)}")
            else:
                lines.append(f"    ~ {path}: {_shown(old)} -> {_shown(new)}")
    if plan.kept:
        lines.append(f"not in the file, kept (--prune deletes them): {', '.join('jobs.' + key for key in plan.kept)}")
    if not plan.changes:
        lines.append("No changes: the database matches the file.")
    else:
        lines.append(
            f"Plan: {plan.count('create')} to create, {plan.count('change')} to change, {plan.count('delete')} to delete."
        )
    return lines
