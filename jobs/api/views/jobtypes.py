"""Job types: the installed ones, and each one's arguments as JSON Schema."""

from __future__ import annotations

from dataclasses import dataclass

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from jobs.api.serializers.jobs import JobTypeDetailSerializer, JobTypeSerializer
from jobs.api.views.base import ApiView
from jobs.registry import registry

VIEW = {"GET": ("jobs.view_job",)}


@dataclass
class JobTypeInfo:
    id: str
    title: str
    description: str
    cls: type


def job_type_info(type_id: str, cls) -> JobTypeInfo:
    return JobTypeInfo(type_id, cls.title or type_id, cls.description or (cls.__doc__ or "").strip(), cls)


class JobTypeListView(ApiView):
    required_perms = VIEW

    @extend_schema(responses=JobTypeSerializer(many=True), operation_id="job_types_list")
    def get(self, request):
        types = sorted((job_type_info(i, c) for i, c in registry.types.items()), key=lambda t: t.title.lower())
        return Response(JobTypeSerializer(types, many=True).data)


class JobTypeDetailView(ApiView):
    required_perms = VIEW

    @extend_schema(responses=JobTypeDetailSerializer, operation_id="job_types_retrieve")
    def get(self, request, type_id: str):
        cls = registry.get(type_id)
        if cls is None:
            raise NotFound(f"No installed job type {type_id!r}.")
        return Response(JobTypeDetailSerializer(job_type_info(type_id, cls)).data)
