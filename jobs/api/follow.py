"""A run's log as Server-Sent Events: new lines as they are stored, the run's state when it changes, an end event.

A generator for ``StreamingHttpResponse``: it polls the run and its lines after the last
sent ``seq`` (keyset, through ``jobs.logs.selectors``) every ``interval`` seconds, and
stops after the run has ended and its last lines were sent. Events::

    event: line     id: <seq>   data: {"seq", "time", "level", "levelno", "logger", "message"}
    event: status               data: {"status", "progress_done", "progress_total", ...}
    event: end                  data: the final state

A client that reconnects sends ``Last-Event-ID`` and gets the lines after it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from jobs.logs.selectors import LogFilter, log_line_json, log_page
from jobs.models import Run

POLL_SECONDS = 0.5
KEEPALIVE_SECONDS = 15.0
BATCH = 500
STATE_FIELDS = ("status", "progress_done", "progress_total", "message", "started_at", "finished_at", "counters")


def _event(name: str, data, event_id=None) -> str:
    head = f"event: {name}\n" + (f"id: {event_id}\n" if event_id is not None else "")
    return f"{head}data: {json.dumps(data, separators=(',', ':'), default=str)}\n\n"


def _state(run_id: int) -> dict | None:
    return Run.objects.filter(pk=run_id).values("id", *STATE_FIELDS).first()


def log_events(run_id: int, flt: LogFilter, *, after: int = -1, interval: float = POLL_SECONDS,
               sleep=time.sleep, clock=time.monotonic) -> Iterator[str]:
    """Events until the run has ended and every line up to its end was sent."""
    last_state, last_sent = None, clock()
    yield "retry: 2000\n\n"
    while True:
        state = _state(run_id)
        if state is None:
            yield _event("end", {"id": run_id, "status": None, "message": "the run was deleted"})
            return
        ended = state["status"] in Run.FINAL_STATUSES
        # Read after the status: a run seen ended has stored its last lines before.
        while True:
            page = log_page(run_id, flt, after=after, size=BATCH)
            for line in page.lines:
                yield _event("line", log_line_json(line), line.seq)
            if page.lines:
                after, last_sent = page.last_seq, clock()
            if not page.has_newer:
                break
        if state != last_state:
            yield _event("status", state)
            last_state, last_sent = state, clock()
        if ended:
            yield _event("end", state)
            return
        if clock() - last_sent > KEEPALIVE_SECONDS:
            yield ": keep-alive\n\n"
            last_sent = clock()
        sleep(interval)
