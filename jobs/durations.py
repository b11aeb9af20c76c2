"""The one way a duration is written for people: admin pages, ``manage.py jobs`` and e-mails.

``duration_text`` gives "850 ms", "12.3 s", "4 min 05 s" or "2 h 03 min": never "0.0 s"
for a quick run, and no more digits than a reader uses. The run page's live updates get
the same text from ``jobs.admin.views.run_state``, so there is no second formatter in
JavaScript.
"""

from __future__ import annotations

import datetime as dt


def duration_text(value: dt.timedelta | float | None, *, empty: str = "-") -> str:
    """``value`` (a timedelta or seconds) as "850 ms", "12.3 s", "4 min 05 s" or "2 h 03 min"; ``empty`` for None."""
    if value is None:
        return empty
    seconds = value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
