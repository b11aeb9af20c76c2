"""Jobs: list (filters, search), create, read, update, delete (409 while a run is active), schedule."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from jobs.api.pagination import NumberedPagination
from jobs.api.selectors import jobs_filtered
from jobs.api.serializers.jobs import JobFilterSerializer, JobSerializer
from jobs.api.serializers.schedules import ScheduleInputSerializer, ScheduleSerializer, schedule_data
from jobs.api.views.base import ApiView
from jobs.models import Job, attach_last_run
from jobs.scheduling.store import schedule_clear, schedule_set
from jobs.services import JOB_SETTINGS, job_create, job_delete, job_update


def job_get(pk: int) -> Job:
    return get_object_or_404(jobs_filtered(), pk=pk)


def job_data(job: Job) -> dict:
    return JobSerializer(attach_last_run([job])[0]).data


class JobListView(ApiView):
    required_perms = {"GET": ("jobs.view_job",), "POST": ("jobs.add_job",)}
    pagination_class = NumberedPagination

    @extend_schema(parameters=[JobFilterSerializer], responses=JobSerializer(many=True), operation_id="jobs_list")
    def get(self, request):
        filters = JobFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        paginator = NumberedPagination()
        page = paginator.paginate_queryset(jobs_filtered(**filters.validated_data), request, view=self)
        return paginator.get_paginated_response(JobSerializer(attach_last_run(page), many=True).data)

    @extend_schema(request=JobSerializer, responses={201: JobSerializer}, operation_id="jobs_create")
    def post(self, request):
        serializer = JobSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        settings = {name: data[name] for name in JOB_SETTINGS if name in data}
        job = job_create(title=data["title"], task_type=data["task_type"], default_args=data.get("default_args"),
                         user=request.user, **settings)
        return Response(job_data(job_get(job.pk)), status=status.HTTP_201_CREATED)


class JobDetailView(ApiView):
    required_perms = {"GET": ("jobs.view_job",), "PATCH": ("jobs.change_job",), "DELETE": ("jobs.delete_job",)}

    @extend_schema(responses=JobSerializer, operation_id="jobs_retrieve")
    def get(self, request, pk: int):
        return Response(job_data(job_get(pk)))

    @extend_schema(request=JobSerializer, responses=JobSerializer, operation_id="jobs_partial_update")
    def patch(self, request, pk: int):
        job = job_get(pk)
        serializer = JobSerializer(job, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        changes = {name: data[name] for name in (*JOB_SETTINGS, "title") if name in data}
        job_update(job=job, default_args=data.get("default_args"), **changes)
        return Response(job_data(job_get(pk)))

    @extend_schema(responses={204: None}, operation_id="jobs_destroy")
    def delete(self, request, pk: int):
        job_delete(job=job_get(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class JobScheduleView(ApiView):
    required_perms = {"GET": ("jobs.view_job",), "PUT": ("jobs.change_job",), "DELETE": ("jobs.change_job",)}

    @extend_schema(responses=ScheduleSerializer, operation_id="jobs_schedule_retrieve")
    def get(self, request, pk: int):
        return Response(ScheduleSerializer(schedule_data(job_get(pk))).data)

    @extend_schema(request=ScheduleInputSerializer, responses=ScheduleSerializer, operation_id="jobs_schedule_set",
                   parameters=[OpenApiParameter("pk", int, OpenApiParameter.PATH)])
    def put(self, request, pk: int):
        job = job_get(pk)
        serializer = ScheduleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        schedule_set(job=job, cron=data.get("cron"), tz=data.get("timezone") or "UTC", every=data.get("every"),
                     at=data.get("at"))
        return Response(ScheduleSerializer(schedule_data(job_get(pk))).data)

    @extend_schema(responses=ScheduleSerializer, operation_id="jobs_schedule_clear")
    def delete(self, request, pk: int):
        schedule_clear(job=job_get(pk))
        return Response(ScheduleSerializer(schedule_data(job_get(pk))).data)
