"""Runs: the list row, the detail (arguments, counters, errored entries, retry chain), and run requests."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from jobs.api.serializers.jobs import arguments_errors
from jobs.models import Run

ERRORS_SHOWN = 1000
CHAIN_SHOWN = 20


class RunSerializer(serializers.ModelSerializer):
    job_title = serializers.CharField(source="job.title", read_only=True)
    started_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    duration_seconds = serializers.SerializerMethodField()
    progress_percent = serializers.FloatField(read_only=True, allow_null=True)
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = Run
        fields = [
            "id", "job", "job_title", "status", "active", "trigger", "started_by", "created_at", "started_at",
            "finished_at", "duration_seconds", "progress_done", "progress_total", "progress_percent", "message", "attempt",
            "retry_of", "parent", "title",
        ]
        read_only_fields = fields

    def get_duration_seconds(self, run) -> float | None:
        duration = run.duration
        return duration.total_seconds() if duration is not None else None


class RunRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Run
        fields = ["id", "status", "attempt", "created_at"]
        read_only_fields = fields


class RunDetailSerializer(RunSerializer):
    """A run with everything the run page shows."""

    cancelled_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    args = serializers.JSONField(read_only=True, help_text="The arguments the task received.")
    counters = serializers.DictField(child=serializers.IntegerField(), read_only=True)
    errors = serializers.SerializerMethodField(help_text=f"Errored entries (the first {ERRORS_SHOWN}).")
    errors_total = serializers.SerializerMethodField()
    retry_chain = serializers.SerializerMethodField(help_text="The runs this one retries, newest first.")
    retries = serializers.SerializerMethodField(help_text="The retries of this run.")

    class Meta(RunSerializer.Meta):
        fields = [
            *RunSerializer.Meta.fields, "cancelled_by", "args", "counters", "errors", "errors_total", "traceback",
            "retry_chain", "retries", "heartbeat_at", "due_at", "queue", "task_id", "host", "held", "not_before",
            "cancel_requested_at",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "array", "items": {"type": "object", "additionalProperties": True}})
    def get_errors(self, run) -> list:
        return (run.errors or [])[:ERRORS_SHOWN]

    def get_errors_total(self, run) -> int:
        return len(run.errors or [])

    @extend_schema_field(RunRefSerializer(many=True))
    def get_retry_chain(self, run) -> list:
        chain, ancestor = [], run.retry_of
        while ancestor is not None and len(chain) < CHAIN_SHOWN:
            chain.append(ancestor)
            ancestor = ancestor.retry_of
        return RunRefSerializer(chain, many=True).data

    @extend_schema_field(RunRefSerializer(many=True))
    def get_retries(self, run) -> list:
        return RunRefSerializer(run.retries.order_by("created_at", "pk")[:CHAIN_SHOWN], many=True).data


class RunRequestSerializer(serializers.Serializer):
    """Run a job now: ``args`` override the job's defaults and are checked by the type's schema."""

    args = serializers.JSONField(required=False, default=dict, help_text="Arguments over the job's defaults.")

    def validate_args(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Give the arguments as a JSON object.")
        job = self.context["job"]
        errors = arguments_errors(task_type=job.task_type, data={**(job.default_args or {}), **value})
        if errors:
            raise serializers.ValidationError(errors)
        return value


class RunFilterSerializer(serializers.Serializer):
    """Query parameters of the run list."""

    job = serializers.IntegerField(required=False, min_value=1)
    status = serializers.MultipleChoiceField(choices=Run.Status.choices, required=False)
    trigger = serializers.ChoiceField(choices=Run.Trigger.choices, required=False)
    created_after = serializers.DateTimeField(required=False, help_text="Runs created at or after this time.")
    created_before = serializers.DateTimeField(required=False, help_text="Runs created before this time.")
