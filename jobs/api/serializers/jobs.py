"""Job types and jobs: their JSON form, and the checks of a job's input (defaults by the type's schema)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from jobs.api.jsonschema import schema_to_jsonschema
from jobs.arguments import arguments_validate
from jobs.exceptions import ArgumentsInvalid, JobTypeUnavailable
from jobs.models import Job, Run
from jobs.registry import registry
from jobs.scheduling.store import schedule_describe
from jobs.services import JOB_SETTINGS


class JobTypeSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()


class JobTypeDetailSerializer(JobTypeSerializer):
    arguments_schema = serializers.SerializerMethodField(help_text="JSON Schema (2020-12) of the type's arguments.")

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_arguments_schema(self, registered) -> dict:
        return schema_to_jsonschema(registered.cls.schema(), title=registered.title)


class LastRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = Run
        fields = ["id", "status", "created_at", "finished_at"]


def arguments_errors(*, task_type: str, data) -> dict | None:
    """The type's schema messages for ``data`` (None when valid); raises nothing."""
    try:
        arguments_validate(task_type=task_type, data=data)
    except ArgumentsInvalid as exc:
        return exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    return None


class JobSerializer(serializers.ModelSerializer):
    """A job; ``task_type`` is set on create only, ``default_args`` are checked by the type's schema."""

    task_type = serializers.ChoiceField(choices=[], help_text="An installed job type id (see /job-types/).")
    type_title = serializers.SerializerMethodField()
    available = serializers.BooleanField(read_only=True, help_text="False when the job's type is not installed.")
    default_args = serializers.JSONField(required=False, help_text="Default arguments, checked by the type's schema.")
    notify_on = serializers.ListField(child=serializers.ChoiceField(choices=Run.Status.choices), required=False)
    schedule = serializers.SerializerMethodField(help_text="The schedule in words.")
    last_run = LastRunSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Job
        fields = [
            "id", "title", "task_type", "type_title", "available", "default_args", *JOB_SETTINGS, "schedule", "last_run",
            "created_at", "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task_type"].choices = sorted(registry.types)
        if self.instance is not None:  # an existing job keeps its type
            self.fields["task_type"].read_only = True

    def get_type_title(self, job) -> str:
        registered = job.registered_task
        return (registered.title or job.task_type) if registered else ""

    def get_schedule(self, job) -> str:
        return schedule_describe(job)

    def validate_default_args(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Give the default arguments as a JSON object.")
        return value

    def validate(self, attrs):
        task_type = self.instance.task_type if self.instance is not None else attrs.get("task_type")
        if "default_args" in attrs or self.instance is None:
            if self.instance is not None and not self.instance.available:
                raise JobTypeUnavailable(f"job type {task_type!r} is not installed")
            errors = arguments_errors(task_type=task_type, data=attrs.get("default_args") or {})
            if errors:
                raise serializers.ValidationError({"default_args": errors})
        return attrs


class JobFilterSerializer(serializers.Serializer):
    """Query parameters of the job list."""

    task_type = serializers.CharField(required=False)
    active = serializers.BooleanField(required=False, allow_null=True, default=None)
    last_status = serializers.ChoiceField(choices=[*Run.Status.values, "never"], required=False)
    search = serializers.CharField(required=False, max_length=200, help_text="Text in the title, description or type.")
