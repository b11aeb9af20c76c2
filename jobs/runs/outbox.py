"""The run outbox: queued runs whose message never reached the broker are sent when it is back.

``jobs.runs.dispatch.run_enqueue`` leaves a run ``queued`` with ``sent_at`` empty when
the broker refuses it. Every worker drains the outbox for the queues it consumes when
it starts (Celery's ``worker_ready``) and every ``JOBS_OUTBOX_SECONDS`` from a thread of
its main process (one indexed probe when nothing waits), so a run goes out within
seconds of the broker's return. The compare-and-set on ``sent_at`` sends each run once,
however many workers drain at the same time.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from django.db import DatabaseError, InterfaceError, connections
from django.utils import timezone

from jobs import conf
from jobs.models import Run
from jobs.runs.dispatch import WAITING_FOR_BROKER, run_enqueue

logger = logging.getLogger(__name__)


def outbox_drain(*, queues: list[str] | None = None, limit: int = 500) -> int:
    """Send the queued runs (on ``queues``, default all) whose message never went out; return how many did.

    Stops at the first run the broker still refuses: the rest wait for the next call.
    """
    unsent = Run.objects.filter(status=Run.Status.QUEUED, sent_at__isnull=True, held=False)
    if queues is not None:
        unsent = unsent.filter(queue__in=queues)
    sent = 0
    for run in unsent.select_related("job").order_by("created_at", "pk")[:limit]:
        # A retry's backoff still counts from when it was due.
        if run_enqueue(run=run, countdown=_seconds_until(run.not_before)):
            sent += 1
        elif run.message == WAITING_FOR_BROKER:
            break
    if sent:
        logger.info("outbox_drained sent=%s", sent)
    return sent


def _seconds_until(moment: dt.datetime | None) -> float | None:
    if moment is None:
        return None
    left = (moment - timezone.now()).total_seconds()
    return left if left > 0 else None


class OutboxWatcher(threading.Thread):
    """Drain the outbox for ``queues`` every ``JOBS_OUTBOX_SECONDS``, on a connection of its own."""

    def __init__(self, queues: list[str]):
        super().__init__(name="run-outbox", daemon=True)
        self.queues = queues

    def run(self):
        while True:
            try:
                outbox_drain(queues=self.queues)
            except (DatabaseError, InterfaceError) as exc:  # the database is away: try again next time
                logger.warning("outbox_drain_failed error=%s", exc)
                connections["default"].close()
            time.sleep(conf.get("JOBS_OUTBOX_SECONDS"))
