"""The running task's handle on its run: ``jobs.current_run()``.

A task calls ``current_run()`` to report progress and counters, record errored
entries and ask whether cancellation was requested. Counters reported with ``count``
are written out by the run monitor; ``count_committed`` stores them in the caller's
transaction instead, with the rows they count. Outside a run (a plain Celery
call, a unit test) it returns a handle that records nothing, so tasks stay usable
on their own.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping

from jobs.exceptions import RunCancelled

_current = contextvars.ContextVar("jobsite_current_run", default=None)


class RunHandle:
    """State a running task reports; the execution's monitor thread writes it out."""

    def __init__(
        self, run_id: int | None, *, job_id: int | None = None, max_errors: int = 1000, cancel_check=None, spawner=None,
        finisher=None, counts_store: Callable[..., None] | None = None,
    ):
        self.run_id = run_id
        self.job_id = job_id
        self._lock = threading.Lock()
        self.done: int | None = None
        self.total: int | None = None
        self.counters: Counter = Counter()
        self.committed: set[str] = set()  # names of counters the task stores itself (``count_committed``)
        self._counts_store = counts_store
        self.errors: list[dict] = []
        self.max_errors = max_errors
        self.dirty = False
        self._cancel_check = cancel_check
        self._cancel_checked_at = 0.0
        self._cancelled = False
        self._spawner = spawner
        self._finisher = finisher
        self.spawned = 0
        self.spawning_closed = False

    def progress(self, done: int, total: int | None = None):
        """Report ``done`` of ``total`` units (bytes, records, ...)."""
        with self._lock:
            self.done = int(done)
            if total is not None:
                self.total = int(total)
            self.dirty = True

    def count(self, name: str, amount: int = 1):
        """Add ``amount`` to the counter ``name`` (created, updated, errored, ...)."""
        with self._lock:
            self.counters[name] += amount
            self.dirty = True

    def count_committed(self, counts: Mapping[str, int]):
        """Add ``counts`` to the stored counters in the caller's transaction: they commit with the rows they count.

        Call it inside the ``transaction.atomic()`` block that writes those rows, after
        them: after a crash the stored counters still equal what was committed. The names
        so counted are stored this way only (the monitor leaves them alone); count a name
        one way. Outside a run they are kept here, like ``count``'s.
        """
        counts = {name: int(amount) for name, amount in counts.items() if amount}
        if not counts:
            return
        if self._counts_store is not None:
            self._counts_store(counts=counts)
        with self._lock:
            self.committed.update(counts)
            self.counters.update(counts)

    def add_error(self, entry_id, reason: str):
        """Record an errored entry; the run then ends ``partial_success``."""
        with self._lock:
            self.counters["errored"] += 1
            if len(self.errors) < self.max_errors:
                self.errors.append({"id": str(entry_id), "reason": str(reason)})
            self.dirty = True

    def spawn(self, task, kwargs: dict | None = None, *, title: str = ""):
        """Create a subtask: a child run of this run that executes ``task(**kwargs)`` on any worker.

        The child is sent when the creating transaction commits; this run ends when its
        task has returned and its last child has ended. Outside a run there is no one to
        fan out to: the task is called here, in this process.
        """
        if self.spawning_closed:
            raise RuntimeError("close_spawning() was called: no more subtasks can be spawned")
        if self._spawner is None:
            return task(**(kwargs or {}))
        child = self._spawner(task=task, kwargs=kwargs, title=title)
        with self._lock:
            self.spawned += 1
        return child

    def spawn_finally(self, task, kwargs: dict | None = None):
        """Run ``task(**kwargs, children_ok=...)`` once the last subtask of this run has ended.

        It runs as one more child run (trigger ``finally``) on any worker, before this run
        ends; ``children_ok`` says whether every subtask succeeded (errored entries
        allowed). If it fails, this run ends ``failed`` with its message; its returned
        ``message`` heads the run's message. A cancelled run does not start it. Outside a
        run the subtasks were called in place: the task is called at once.
        """
        if self._finisher is None:
            return task(**(kwargs or {}), children_ok=True)
        return self._finisher(task=task, kwargs=kwargs)

    def close_spawning(self):
        """Say that no more subtasks will come (the task's return says it too)."""
        self.spawning_closed = True

    @property
    def errored(self) -> int:
        return self.counters.get("errored", 0)

    def snapshot(self) -> dict:
        """Return what changed since the last snapshot, for one UPDATE (counters merged over the stored ones)."""
        with self._lock:
            self.dirty = False
            return {
                "progress_done": self.done,
                "progress_total": self.total,
                # Without the committed ones: the database has them, and a copy could be stale.
                "counters": {name: value for name, value in self.counters.items() if name not in self.committed},
                "errors": list(self.errors),
            }

    def cancel_requested(self) -> bool:
        """True once an operator asked to cancel this run (checked at most once a second)."""
        if self._cancelled:
            return True
        if self._cancel_check is None:
            return False
        now = time.monotonic()
        if now - self._cancel_checked_at >= 1.0:
            self._cancel_checked_at = now
            self._cancelled = bool(self._cancel_check())
        return self._cancelled

    def mark_cancel_requested(self):
        self._cancelled = True

    def raise_if_cancelled(self):
        """Stop the task here (the run ends ``cancelled``) if cancellation was requested."""
        if self.cancel_requested():
            raise RunCancelled("cancelled on request")


def current_run() -> RunHandle:
    """Return the handle of the run executing in this context, or a detached one."""
    handle = _current.get()
    return handle if handle is not None else RunHandle(None)


def activate(handle: RunHandle):
    return _current.set(handle)


def deactivate(token):
    _current.reset(token)
