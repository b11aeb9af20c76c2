"""Fan-in: how a parent run ends from its children's outcomes (pure, no database).

A parent whose task has returned ends when its last subtask ends: ``success`` when every
child succeeded and the parent's own task did; ``failed`` when every child failed or was
cancelled; ``partial_success`` otherwise (a child with errored entries counts as partial).
Counters are summed, errored entries gathered with the child's run id. The step after the
subtasks (``spawn_finally``, ``jobs.runs.finishing``) fails the parent when it did not
succeed, and its message heads the parent's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from jobs.models import Run

Status = Run.Status
CHILD_FIELDS = ("id", "status", "counters", "errors", "trigger", "message")


@dataclass
class Outcome:
    """How a parent ends once its task has returned and its last child has ended."""

    status: str
    message: str
    children: int = 0
    counters: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)


def _status(child: dict) -> str:
    """A child's status, ``partial_success`` for a success with errored entries."""
    if child["status"] == Status.SUCCESS and (child["errors"] or (child["counters"] or {}).get("errored")):
        return Status.PARTIAL_SUCCESS
    return child["status"]


def _gather(child: dict, counters: Counter, errors: list, max_errors: int) -> None:
    for key, value in (child["counters"] or {}).items():
        if isinstance(value, int) and not isinstance(value, bool):
            counters[key] += value
    for entry in child["errors"] or []:
        if len(errors) >= max_errors:
            break
        errors.append({**entry, "subtask": child["id"]} if isinstance(entry, dict) else {"entry": entry, "subtask": child["id"]})


def parent_outcome(*, own_status: str, own_counters: dict, own_errors: list, children: Iterable[dict],
                   cancelling: bool, max_errors: int, then: dict | None = None) -> Outcome:
    """Pure: the parent's status, message, summed counters and errored entries from its children.

    ``success`` when every child succeeded and the parent's own task did; ``failed`` when
    every child failed (or was cancelled); ``partial_success`` otherwise. A cancelled parent
    ends ``cancelled``. ``then`` (the ended then-run, not one of ``children``) fails the
    parent unless it succeeded; its counters and errored entries count like a child's.
    """
    by_status: Counter = Counter()
    counters: Counter = Counter({k: v for k, v in own_counters.items() if isinstance(v, int)})
    errors = list(own_errors)
    for child in children:
        by_status[_status(child)] += 1
        _gather(child, counters, errors, max_errors)
    if then is not None:
        _gather(then, counters, errors, max_errors)
    total = sum(by_status.values())
    unsuccessful = by_status[Status.FAILED] + by_status[Status.CANCELLED] + by_status[Status.SKIPPED]
    if cancelling:
        status = Status.CANCELLED
    elif total and unsuccessful == total:
        status = Status.FAILED
    elif by_status[Status.SUCCESS] == total and own_status == Status.SUCCESS:
        status = Status.SUCCESS
    else:
        status = Status.PARTIAL_SUCCESS
    parts = [f"{count} {name.replace('_', ' ')}" for name, count in sorted(by_status.items())]
    message = f"{total} subtasks: {', '.join(parts)}" if total else "no subtasks"
    if then is not None:
        then_status = _status(then)
        if status != Status.CANCELLED and then_status not in (Status.SUCCESS, Status.PARTIAL_SUCCESS):
            status = Status.FAILED
        elif status == Status.SUCCESS and then_status == Status.PARTIAL_SUCCESS:
            status = Status.PARTIAL_SUCCESS
        message = f"{then['message']} ({message})" if then["message"] else message
    return Outcome(status=status, message=message, children=total, counters=dict(counters), errors=errors)
