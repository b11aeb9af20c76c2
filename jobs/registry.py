"""Job types: the ``RegisteredTask`` base class and entry-point discovery.

A job type is a class registered under the entry-point group ``jobsite.jobs`` of any
installed distribution. The registry loads every entry point once, lazily, and keeps
going when one of them is broken: the problem is kept and reported as a Django system
check (``manage.py check``), while every other type stays usable.
"""

from __future__ import annotations

import importlib
import logging
import threading
from dataclasses import dataclass
from importlib.metadata import entry_points

from marshmallow import Schema, fields

from jobs import conf

logger = logging.getLogger(__name__)


class RegisteredTask:
    """Base class of a job type; see the job-author contract in DESIGN.md."""

    id: str | None = None
    title: str = ""
    description: str = ""
    task = None
    arguments_schema: dict | type[Schema] | None = None
    # What ``current_run().progress(done, total)`` counts: "bytes" or a plural noun (jobs.units).
    progress_unit: str = "records"

    @classmethod
    def build_task_arguments(cls, job_obj, **kwargs):
        """Turn validated arguments into the task's keyword arguments."""
        return kwargs

    @classmethod
    def chain_ended(cls, run_ids: list[int]) -> None:
        """A run of this type has ended and no retry of it will follow (success, cancel, or the last attempt).

        ``run_ids``: the ids of its attempts, this run's first and the first attempt's last.
        Override it to remove what the attempts left for a retry (files of their subtasks).
        It is called once the run's end has committed; an exception is logged, not raised.
        """

    @classmethod
    def schema(cls) -> Schema:
        """Return a schema instance built from ``arguments_schema`` (cached per class)."""
        cached = cls.__dict__.get("_schema_instance")
        if cached is None:
            cached = build_schema(cls.arguments_schema, name=f"{cls.__name__}Arguments")
            cls._schema_instance = cached
        return cached


def build_schema(arguments_schema, *, name="Arguments") -> Schema:
    """Build a marshmallow schema instance from a dict of fields or a Schema class."""
    if arguments_schema is None:
        return Schema.from_dict({}, name=name)()
    if isinstance(arguments_schema, dict):
        for key, field in arguments_schema.items():
            if not isinstance(field, fields.Field):
                raise TypeError(f"argument {key!r} is {type(field).__name__}, not a marshmallow field")
        return Schema.from_dict(dict(arguments_schema), name=name)()
    if isinstance(arguments_schema, type) and issubclass(arguments_schema, Schema):
        return arguments_schema()
    raise TypeError(
        f"arguments_schema must be a dict of marshmallow fields or a Schema class, not {type(arguments_schema).__name__}"
    )


@dataclass(frozen=True)
class RegistryProblem:
    """Something wrong with one entry point; reported by the system checks."""

    check_id: str
    source: str
    message: str


class Registry:
    """All job types found through entry points (and ``settings.JOBS_EXTRA_TYPES``)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._types: dict[str, type[RegisteredTask]] | None = None
        self._problems: list[RegistryProblem] = []

    def _candidates(self):
        for ep in entry_points(group=conf.get("JOBS_ENTRY_POINT_GROUP")):
            dist = getattr(ep.dist, "name", None) or "?"
            yield ep.name, f"entry point {ep.name!r} ({ep.value}) of {dist}", ep.load
        for type_id, target in conf.get("JOBS_EXTRA_TYPES").items():
            yield type_id, f"JOBS_EXTRA_TYPES {type_id!r} ({target})", _loader(target)

    def _load(self):
        types: dict[str, type[RegisteredTask]] = {}
        problems: list[RegistryProblem] = []
        for name, source, load in self._candidates():
            try:
                cls = load()
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the site
                problems.append(RegistryProblem("jobs.E001", source, f"cannot be imported: {type(exc).__name__}: {exc}"))
                continue
            if not (isinstance(cls, type) and issubclass(cls, RegisteredTask)):
                problems.append(RegistryProblem("jobs.E002", source, "is not a subclass of jobs.registry.RegisteredTask"))
                continue
            if cls.task is None or not callable(cls.task):
                problems.append(RegistryProblem("jobs.E002", source, "has no callable `task`"))
                continue
            try:
                cls.schema()
            except TypeError as exc:
                problems.append(RegistryProblem("jobs.E003", source, f"has an invalid arguments_schema: {exc}"))
                continue
            type_id = cls.__dict__.get("id") or name
            if type_id in types:
                problems.append(
                    RegistryProblem("jobs.E004", source, f"duplicates job type id {type_id!r}; the first one is kept")
                )
                continue
            types[type_id] = cls
        self._problems = problems
        for problem in problems:
            logger.warning("job_type_problem source=%s message=%s", problem.source, problem.message)
        return types

    @property
    def types(self) -> dict[str, type[RegisteredTask]]:
        if self._types is None:
            with self._lock:
                if self._types is None:
                    self._types = self._load()
        return self._types

    @property
    def problems(self) -> list[RegistryProblem]:
        self.types  # noqa: B018 - loading fills the problems
        return list(self._problems)

    def get(self, type_id: str) -> type[RegisteredTask] | None:
        return self.types.get(type_id)

    def __contains__(self, type_id):
        return type_id in self.types

    def choices(self) -> list[tuple[str, str]]:
        return sorted(((type_id, cls.title or type_id) for type_id, cls in self.types.items()), key=lambda c: c[1])

    def reload(self):
        """Forget what was loaded (tests, or after installing a plugin)."""
        with self._lock:
            self._types = None
            self._problems = []


def _loader(target: str):
    def load():
        module_name, _, attr = target.partition(":")
        obj = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
        return obj

    return load


registry = Registry()
