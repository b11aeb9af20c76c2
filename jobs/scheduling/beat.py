"""The beat scheduler: django-celery-beat's DatabaseScheduler, with tick-exact job schedules.

Jobs' periodic tasks (``jobs.fire_schedule``) get their due-ness from ``jobs.ticks``
instead of Celery's schedules, and each message carries the tick it belongs to
(``due_at``), so every beat process names the same tick the same way and the run's
unique ``(job, due_at)`` makes a second beat, a restart or a redelivery harmless.
Other periodic tasks behave exactly as under the stock scheduler.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from celery import schedules
from celery.utils.time import maybe_make_aware
from django.db import DatabaseError, InterfaceError, close_old_connections
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry

from jobs.scheduling.store import FIRE_TASK, spec_from_periodic_task

logger = logging.getLogger(__name__)
UTC = dt.UTC
_NEVER = 300.0  # seconds; beat re-reads the database well before that anyway


class JobSchedule(schedules.BaseSchedule):
    """A Celery schedule over a ``jobs.ticks`` spec; remembers the tick it last found due."""

    def __init__(self, spec, app=None):
        super().__init__(app=app)
        self.spec = spec
        self.due_at: dt.datetime | None = None

    def remaining_estimate(self, last_run_at):
        nxt = self.spec.next_after(maybe_make_aware(last_run_at).astimezone(UTC))
        if nxt is None:
            return dt.timedelta(seconds=_NEVER)
        return nxt - dt.datetime.now(UTC)

    def is_due(self, last_run_at):
        now = dt.datetime.now(UTC)
        nxt = self.spec.next_after(maybe_make_aware(last_run_at).astimezone(UTC))
        if nxt is None:
            return schedules.schedstate(False, _NEVER)
        if nxt > now:
            return schedules.schedstate(False, (nxt - now).total_seconds())
        self.due_at = self.spec.latest_at_or_before(now)
        following = self.spec.next_after(now)
        return schedules.schedstate(True, (following - now).total_seconds() if following else _NEVER)

    def __eq__(self, other):
        return isinstance(other, JobSchedule) and other.spec == self.spec

    def __hash__(self):
        return hash(self.spec)

    def __repr__(self):
        return f"<JobSchedule {self.spec!r}>"


class JobEntry(ModelEntry):
    def __init__(self, model, app=None):
        super().__init__(model, app=app)
        if self.task == FIRE_TASK:
            spec = spec_from_periodic_task(model)
            if spec is not None:
                self.schedule = JobSchedule(spec, app=self.app)

    def is_due(self):
        state = super().is_due()
        if state.is_due and isinstance(self.schedule, JobSchedule) and self.schedule.due_at is not None:
            self.kwargs = {**self.kwargs, "due_at": self.schedule.due_at.isoformat()}
        return state


class JobScheduler(DatabaseScheduler):
    """DatabaseScheduler whose job entries are tick-exact and survive reloads without a burst.

    It also keeps beat's per-send cost flat with thousands of entries: the stock
    scheduler compares every entry and queries the change marker on every send, saves
    entries one by one (two queries each) and loads each entry's schedule row apart.
    """

    Entry = JobEntry
    change_check_seconds = 1.0
    _change_checked_at = 0.0

    def enabled_models_qs(self):
        return super().enabled_models_qs().select_related("interval", "crontab", "solar", "clocked")

    def schedule_changed(self):
        # Edits still apply within about a second; sends in between cost no query.
        now = time.monotonic()
        if now - self._change_checked_at < self.change_check_seconds:
            return False
        self._change_checked_at = now
        return super().schedule_changed()

    def schedules_equal(self, old_schedules, new_schedules):
        # Between reloads the entries never change in place (reserve() does not store
        # the next entry), and a reload sets _heap_invalidated: keys say it all.
        if self._heap_invalidated:
            self._heap_invalidated = False
            return False
        if old_schedules is None or new_schedules is None:
            return old_schedules is new_schedules
        return old_schedules.keys() == new_schedules.keys()

    def sync(self):
        """Write the sent entries' last_run_at and counts in a few bulk updates."""
        dirty, self._dirty = self._dirty, set()
        models = [self._schedule[name].model for name in dirty if self._schedule and name in self._schedule]
        try:
            close_old_connections()
            PeriodicTask.objects.bulk_update(models, ["last_run_at", "total_run_count"], batch_size=500)
        except (DatabaseError, InterfaceError) as exc:
            logger.warning("beat_sync_failed entries=%s error=%s", len(models), exc)
            self._dirty |= dirty

    def all_as_schedule(self):
        """Reload the entries, keeping those whose row did not change.

        The stock scheduler rebuilds every entry on every reload (at least every five
        minutes), a pause of seconds with thousands of entries. An unchanged row keeps
        its entry; a changed one gets a new entry that keeps the last send this process
        knows (the database's last_run_at lags), so a reload never sends a burst.
        """
        previous = self._schedule or {}
        fresh = {}
        for model in self.enabled_models():
            old = previous.get(model.name)
            if old is not None and _unchanged(old, model):
                # Entries share their model with the entries reserve() made from them.
                old.last_run_at = old.model.last_run_at
                fresh[model.name] = old
                continue
            try:
                entry = self.Entry(model, app=self.app)
            except ValueError:
                continue
            known = old.model.last_run_at if old is not None else None
            if known and entry.last_run_at and maybe_make_aware(known) > maybe_make_aware(entry.last_run_at):
                entry.last_run_at = entry.model.last_run_at = known
            fresh[model.name] = entry
        return fresh


def _unchanged(entry, model) -> bool:
    """Same row, same save, same job schedule (a shared schedule row can change on its own)."""
    return (
        isinstance(entry.schedule, JobSchedule)
        and entry.model.pk == model.pk
        and entry.model.date_changed == model.date_changed
        and entry.schedule.spec == spec_from_periodic_task(model)
    )
