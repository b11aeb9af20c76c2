"""When a schedule is due: pure tick arithmetic for interval, crontab and one-off schedules.

A tick is an instant (aware, UTC) at which a schedule is due. Every beat process and
every worker computes the same ticks from the same schedule, whatever its clock
says about the last send, so a tick is an identity: ``(job, due_at)`` is unique.

- Interval ticks lie on a grid anchored at the Unix epoch (or at the periodic
  task's ``start_time``): "every 2 s" is due at even seconds, "every 1 h" on the hour (UTC). Beat's own interval schedule drifts by
  the send latency on every run and eventually skips a tick; the grid cannot.
- Crontab ticks are wall-clock times in the schedule's own time zone, matched as
  Celery does (minute, hour, day of month AND day of week, month). Across DST they
  follow RFC 5545 / Temporal "compatible" disambiguation: a wall time that does not
  exist (spring forward, 02:30 in Zurich) moves forward by the gap (03:30 CEST); a
  wall time that occurs twice (fall back) fires once, at its first occurrence.
- A one-off schedule has one tick.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from celery.schedules import crontab as celery_crontab

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
# DST gaps are at most 2 h; look this far around a wall time for shifted ticks.
_DST_MARGIN = dt.timedelta(hours=3)
_MAX_DAYS = 366 * 8 + 2  # Feb 29 on a given weekday recurs within 28 years; 8 covers Feb 29 alone


@dataclass(frozen=True)
class Interval:
    seconds: int
    anchor: dt.datetime = EPOCH  # a tick of the grid: "every hour from 00:15"

    def next_after(self, t: dt.datetime) -> dt.datetime:
        step = dt.timedelta(seconds=self.seconds)
        return self.anchor + ((t - self.anchor) // step + 1) * step

    def latest_at_or_before(self, t: dt.datetime) -> dt.datetime:
        step = dt.timedelta(seconds=self.seconds)
        return self.anchor + ((t - self.anchor) // step) * step


@dataclass(frozen=True)
class Crontab:
    minute: str = "*"
    hour: str = "*"
    day_of_month: str = "*"
    month_of_year: str = "*"
    day_of_week: str = "*"
    timezone: str = "UTC"
    _sets: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        """Parse the fields with Celery's parser (raises ValueError on bad input)."""
        parsed = celery_crontab(
            minute=self.minute, hour=self.hour, day_of_month=self.day_of_month,
            month_of_year=self.month_of_year, day_of_week=self.day_of_week,
        )
        ZoneInfo(self.timezone)  # raises ZoneInfoNotFoundError (a KeyError) on an unknown zone
        object.__setattr__(self, "_sets", (
            sorted(parsed.minute), sorted(parsed.hour), parsed.day_of_month,
            parsed.month_of_year, parsed.day_of_week,
        ))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def expression(self) -> str:
        return f"{self.minute} {self.hour} {self.day_of_month} {self.month_of_year} {self.day_of_week}"

    def _day_matches(self, day: dt.date) -> bool:
        _, _, doms, months, dows = self._sets
        # Celery numbers weekdays from Sunday = 0.
        return day.month in months and day.day in doms and (day.isoweekday() % 7) in dows

    def _instants(self, day: dt.date, lo: dt.datetime, hi: dt.datetime):
        """Ticks of ``day`` whose wall time lies within [lo, hi] (naive local)."""
        minutes, hours, *_ = self._sets
        tz = self.tz
        for hour in hours:
            for minute in minutes:
                wall = dt.datetime(day.year, day.month, day.day, hour, minute)
                if lo <= wall <= hi:
                    # fold=0: first occurrence of a repeated time; a missing time moves forward by the gap.
                    yield wall.replace(tzinfo=tz, fold=0).astimezone(UTC)

    def next_after(self, t: dt.datetime) -> dt.datetime | None:
        local = t.astimezone(self.tz).replace(tzinfo=None)
        day = (local - _DST_MARGIN).date()
        lo = local - _DST_MARGIN
        for _ in range(_MAX_DAYS):
            if self._day_matches(day):
                hi = dt.datetime.combine(day, dt.time.max)
                found = [i for i in self._instants(day, lo, hi) if i > t]
                if found:
                    return min(found)
            day += dt.timedelta(days=1)
        return None

    def latest_at_or_before(self, t: dt.datetime) -> dt.datetime | None:
        local = t.astimezone(self.tz).replace(tzinfo=None)
        day = (local + _DST_MARGIN).date()
        hi = local + _DST_MARGIN
        for _ in range(_MAX_DAYS):
            if self._day_matches(day):
                lo = dt.datetime.combine(day, dt.time.min)
                found = [i for i in self._instants(day, lo, hi) if i <= t]
                if found:
                    return max(found)
            day -= dt.timedelta(days=1)
        return None


@dataclass(frozen=True)
class OneOff:
    at: dt.datetime

    def next_after(self, t: dt.datetime) -> dt.datetime | None:
        return self.at if self.at > t else None

    def latest_at_or_before(self, t: dt.datetime) -> dt.datetime | None:
        return self.at if self.at <= t else None


Spec = Interval | Crontab | OneOff


def next_ticks(spec: Spec, after: dt.datetime, n: int) -> list[dt.datetime]:
    """The next ``n`` ticks strictly after ``after`` (fewer for a one-off)."""
    ticks = []
    current = after
    while len(ticks) < n:
        current = spec.next_after(current)
        if current is None:
            break
        ticks.append(current)
    return ticks


def ticks_between(spec: Spec, start: dt.datetime, end: dt.datetime, limit: int) -> list[dt.datetime]:
    """The newest ``limit`` ticks in (start, end]."""
    ticks = []
    current = start
    while True:
        current = spec.next_after(current)
        if current is None or current > end:
            return ticks[-limit:] if limit else []
        ticks.append(current)
        if len(ticks) > 10 * limit:
            ticks = ticks[-limit:]
