"""Fan-in: how a parent run ends from its children's outcomes (pure, no database).

A parent whose task has returned ends when its last subtask ends: ``success`` when every
child succeeded and the parent's own task did; ``failed`` when every child failed or was
cancelled; ``partial_success`` otherwise (a child with errored entries counts as partial).
Counters are summed, errored entries gathered with the child's run id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from jobs.models import Run

Status = Run.Status
CHILD_FIELDS = ("id", "status", "counters", "errors")


@dataclass
class Outcome:
    """How a parent ends once its task has returned and its last child has ended."""

    status: str
    message: str
    children: int = 0
    counters: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)


def parent_outcome(*, own_status: str, own_counters: dict, own_errors: list, children: Iterable[dict],
                   cancelling: bool, max_errors: int) -> Outcome:
    """Pure: the parent's status, message, summed counters and errored entries from its children.

    ``success`` when every child succeeded and the parent's own task did; ``failed`` when
    every child failed (or was cancelled); ``partial_success`` otherwise. A cancelled parent
    ends ``cancelled``.
    """
    by_status: Counter = Counter()
    counters: Counter = Counter({k: v for k, v in own_counters.items() if isinstance(v, int)})
    errors = list(own_errors)
    for child in children:
        status = child["status"]
        if status == Status.SUCCESS and (child["errors"] or (child["counters"] or {}).get("errored")):
            status = Status.PARTIAL_SUCCESS
        by_status[status] += 1
        for key, value in (child["counters"] or {}).items():
            if isinstance(value, int) and not isinstance(value, bool):
                counters[key] += value
        for entry in child["errors"] or []:
            if len(errors) >= max_errors:
                break
            errors.append({**entry, "subtask": child["id"]} if isinstance(entry, dict) else {"entry": entry, "subtask": child["id"]})
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
    return Outcome(status=status, message=message, children=total, counters=dict(counters), errors=errors)
