"""Tick arithmetic and the beat schedule built on it, across DST (time-machine)."""

import datetime as dt

import pytest
import time_machine

from jobs.scheduling import ticks
from jobs.scheduling.beat import JobSchedule

UTC = dt.UTC


def _u(*args):
    return dt.datetime(*args, tzinfo=UTC)


def test_interval_ticks_lie_on_an_epoch_grid():
    every = ticks.Interval(2)
    assert every.next_after(_u(2026, 1, 1, 0, 0, 1, 999)) == _u(2026, 1, 1, 0, 0, 2)
    assert every.next_after(_u(2026, 1, 1, 0, 0, 2)) == _u(2026, 1, 1, 0, 0, 4)
    assert every.latest_at_or_before(_u(2026, 1, 1, 0, 0, 3, 5)) == _u(2026, 1, 1, 0, 0, 2)
    assert ticks.Interval(3600).next_after(_u(2026, 1, 1, 5, 59)) == _u(2026, 1, 1, 6)


def test_crontab_uses_celery_day_semantics_and_its_own_zone():
    weekdays = ticks.Crontab("0", "9", day_of_week="mon-fri", timezone="America/New_York")
    # Saturday 2026-11-28 -> Monday 09:00 EST = 14:00 UTC
    assert weekdays.next_after(_u(2026, 11, 28, 12)) == _u(2026, 11, 30, 14)
    assert weekdays.latest_at_or_before(_u(2026, 11, 30, 13, 59)) == _u(2026, 11, 27, 14)


def test_crontab_rejects_bad_fields():
    with pytest.raises(ValueError):
        ticks.Crontab("61", "*")


def test_one_off_has_one_tick():
    once = ticks.OneOff(_u(2026, 12, 1, 2))
    assert ticks.next_ticks(once, _u(2026, 11, 1), 5) == [_u(2026, 12, 1, 2)]
    assert once.next_after(_u(2026, 12, 1, 2)) is None


def _simulate_beat(spec, start, end):
    """Drive JobSchedule.is_due like beat does, on a frozen clock; return (sent at, due_at) pairs."""
    schedule = JobSchedule(spec)
    now, last_run_at, sent = start, start, []
    while now < end:
        with time_machine.travel(now, tick=False):
            state = schedule.is_due(last_run_at)
        if state.is_due:
            sent.append((now, schedule.due_at))
            last_run_at = now
        # beat sleeps at most its max interval (5 s for the database scheduler) ... or until due
        now += dt.timedelta(seconds=min(max(state.next, 0.001), 3600))
    return sent


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # Spring forward, Sun 29 March 2026: 02:30 does not exist; it moves forward by the gap (03:30 CEST).
        (_u(2026, 3, 26, 12), [_u(2026, 3, 27, 1, 30), _u(2026, 3, 28, 1, 30), _u(2026, 3, 29, 1, 30),
                               _u(2026, 3, 30, 0, 30), _u(2026, 3, 31, 0, 30)]),
        # Fall back, Sun 25 October 2026: 02:30 happens twice; it fires once, at the first (CEST, 00:30 UTC).
        (_u(2026, 10, 22, 12), [_u(2026, 10, 23, 0, 30), _u(2026, 10, 24, 0, 30), _u(2026, 10, 25, 0, 30),
                                _u(2026, 10, 26, 1, 30), _u(2026, 10, 27, 1, 30)]),
    ],
)
def test_crontab_0230_zurich_fires_once_a_day_across_dst(start, expected):
    spec = ticks.Crontab("30", "2", timezone="Europe/Zurich")
    sent = _simulate_beat(spec, start, start + dt.timedelta(days=5))
    assert [due for _, due in sent] == expected
    # Sent at the instant itself (beat wakes on time), never early, never twice.
    assert all(due <= at < due + dt.timedelta(seconds=1) for at, due in sent)


def test_beat_sends_interval_ticks_without_drift_or_loss():
    spec = ticks.Interval(60)
    start = _u(2026, 11, 28, 10, 0, 30)
    sent = _simulate_beat(spec, start, start + dt.timedelta(hours=2))
    dues = [due for _, due in sent]
    assert len(dues) == 120
    assert all(b - a == dt.timedelta(minutes=1) for a, b in zip(dues, dues[1:], strict=False))


def test_interval_grid_from_an_anchor():
    every = ticks.Interval(3600, anchor=_u(2026, 1, 1, 0, 15))
    assert every.next_after(_u(2026, 11, 28, 10, 20)) == _u(2026, 11, 28, 11, 15)
    assert every.latest_at_or_before(_u(2026, 11, 28, 10, 14)) == _u(2026, 11, 28, 9, 15)
