"""The schedule part of the job page: a form over ``jobs.scheduling`` (none, interval, crontab, once)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, available_timezones

from django import forms

from jobs.exceptions import ScheduleInvalid
from jobs.models import Job
from jobs.scheduling import ticks
from jobs.scheduling.store import job_spec, parse_at, parse_cron, parse_every, schedule_clear, schedule_set

KINDS = [("", "Not scheduled"), ("interval", "Every ..."), ("crontab", "Crontab"), ("once", "Once, at a date and time")]
# Not zones a person means: "Factory" (a placeholder), "localtime" and "posixrules" (links to the host's settings).
_NOT_ZONES = {"Factory", "localtime", "posixrules"}
_ZONES = sorted(available_timezones() - _NOT_ZONES)


def _interval_text(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


class ScheduleForm(forms.Form):
    """Edit one job's schedule; ``save(job)`` writes it through ``jobs.scheduling``."""

    schedule_kind = forms.ChoiceField(label="Schedule", choices=KINDS, required=False)
    every = forms.CharField(required=False, help_text="For “Every”: a number and a unit, e.g. 90s, 15m, 1h, 1d.")
    cron = forms.CharField(
        label="Crontab", required=False,
        help_text="minute hour day-of-month month day-of-week, e.g. “0 3 * * *” (day of month AND day of week).",
    )
    schedule_timezone = forms.ChoiceField(
        label="Time zone", choices=[(z, z) for z in _ZONES], initial="UTC", required=False,
        help_text="Of the crontab, and of a date and time given without a UTC offset.",
    )
    at = forms.CharField(
        label="At", required=False, help_text="For “Once”: YYYY-MM-DD HH:MM (in the time zone above) or ISO-8601 with offset.",
    )

    def __init__(self, *args, job: Job | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        spec = job_spec(job) if job is not None and job.pk else None
        if isinstance(spec, ticks.Interval):
            self.initial.update(schedule_kind="interval", every=_interval_text(spec.seconds))
        elif isinstance(spec, ticks.Crontab):
            self.initial.update(schedule_kind="crontab", cron=spec.expression(), schedule_timezone=spec.timezone)
        elif isinstance(spec, ticks.OneOff):
            self.initial.update(schedule_kind="once", at=spec.at.isoformat())

    def clean(self):
        data = super().clean()
        kind = data.get("schedule_kind") or ""
        tz = data.get("schedule_timezone") or "UTC"
        try:
            if kind == "interval":
                parse_every(data.get("every", ""))
            elif kind == "crontab":
                parse_cron(data.get("cron", ""), tz)
            elif kind == "once":
                data["at_moment"] = self._moment(data.get("at", ""), tz)
        except ScheduleInvalid as exc:
            field = {"interval": "every", "crontab": "cron", "once": "at"}[kind]
            self.add_error(field, str(exc))
        return data

    @staticmethod
    def _moment(text: str, tz: str) -> dt.datetime:
        text = (text or "").strip()
        try:
            naive = dt.datetime.fromisoformat(text)
        except ValueError as exc:
            raise ScheduleInvalid(f"{text!r} is not a date and time (YYYY-MM-DD HH:MM)") from exc
        if naive.tzinfo is None:
            text = naive.replace(tzinfo=ZoneInfo(tz)).isoformat()
        return parse_at(text)

    def save(self, job: Job) -> Job:
        data = self.cleaned_data
        kind = data.get("schedule_kind") or ""
        if kind == "interval":
            return schedule_set(job=job, every=data["every"])
        if kind == "crontab":
            return schedule_set(job=job, cron=data["cron"], tz=data.get("schedule_timezone") or "UTC")
        if kind == "once":
            return schedule_set(job=job, at=data["at_moment"])
        return schedule_clear(job=job)
