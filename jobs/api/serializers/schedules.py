"""A job's schedule: what it is, in words, with the next five due times; and the input that sets one."""

from __future__ import annotations

from rest_framework import serializers

from jobs.scheduling import ticks
from jobs.scheduling.store import job_spec, schedule_describe, schedule_next_fire_times

NEXT_SHOWN = 5


class ZonedDateTimeField(serializers.DateTimeField):
    """A date and time shown in its own time zone (a crontab's), not converted to the site's."""

    def enforce_timezone(self, value):
        return value if value.tzinfo is not None else super().enforce_timezone(value)


class ScheduleSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["cron", "interval", "once"], allow_null=True)
    description = serializers.CharField()
    cron = serializers.CharField(allow_null=True)
    timezone = serializers.CharField(allow_null=True)
    every_seconds = serializers.IntegerField(allow_null=True)
    at = serializers.DateTimeField(allow_null=True)
    enabled = serializers.BooleanField(help_text="False when the job is paused, or a one-off time has passed.")
    next = serializers.ListField(child=ZonedDateTimeField(), help_text=f"The next {NEXT_SHOWN} due times.")


def schedule_data(job) -> dict:
    """The job's schedule as ``ScheduleSerializer`` shows it."""
    spec = job_spec(job)
    data = {"kind": None, "cron": None, "timezone": None, "every_seconds": None, "at": None, "enabled": False}
    if isinstance(spec, ticks.Crontab):
        data.update(kind="cron", cron=spec.expression(), timezone=spec.timezone)
    elif isinstance(spec, ticks.Interval):
        data.update(kind="interval", every_seconds=spec.seconds)
    elif isinstance(spec, ticks.OneOff):
        data.update(kind="once", at=spec.at)
    if spec is not None:
        data["enabled"] = bool(job.active and job.periodic_task.enabled)
    data["description"] = schedule_describe(job)
    data["next"] = schedule_next_fire_times(job, NEXT_SHOWN)
    return data


class ScheduleInputSerializer(serializers.Serializer):
    """Exactly one of ``cron`` (with ``timezone``), ``every`` or ``at``."""

    cron = serializers.CharField(required=False, max_length=200, help_text='Five crontab fields, e.g. "0 3 * * *".')
    timezone = serializers.CharField(required=False, default="UTC", max_length=64, help_text="Time zone of `cron`.")
    every = serializers.CharField(required=False, max_length=20, help_text="An interval: 90s, 15m, 1h, 2d.")
    at = serializers.CharField(required=False, max_length=40, help_text="Once, ISO-8601 with UTC offset, in the future.")

    def validate(self, attrs):
        given = [name for name in ("cron", "every", "at") if attrs.get(name)]
        if len(given) != 1:
            raise serializers.ValidationError({"non_field_errors": ["Give exactly one of cron, every or at."]})
        if attrs.get("timezone", "UTC") != "UTC" and not attrs.get("cron"):
            raise serializers.ValidationError({"timezone": ["A time zone applies to cron only."]})
        return attrs
