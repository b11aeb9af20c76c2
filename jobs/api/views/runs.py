"""Runs: list (filters, keyset cursor), detail, run a job now (idempotent), cancel, run again."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from jobs.api.history import history_record
from jobs.api.idempotency import KEY_MAX_LENGTH, run_create_idempotent
from jobs.api.pagination import KeysetCursorPagination
from jobs.api.selectors import run_detail, runs_filtered
from jobs.api.serializers.runs import RunDetailSerializer, RunFilterSerializer, RunRequestSerializer, RunSerializer
from jobs.api.views.base import ApiView
from jobs.models import Job, Run
from jobs.runs.cancel import run_cancel
from jobs.runs.services import run_create, run_rerun

VIEW_RUN = ("jobs.view_run",)
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
    description="The same key within 24 h returns the run it first created (200) instead of starting another.",
)


def run_get(pk: int) -> Run:
    run = run_detail(pk)
    if run is None:
        raise NotFound(f"No run {pk}.")
    return run


def runs_page(view, request, **forced):
    filters = RunFilterSerializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    paginator = KeysetCursorPagination()
    page = paginator.paginate_queryset(runs_filtered(**{**filters.validated_data, **forced}), request, view=view)
    return paginator.get_paginated_response(RunSerializer(page, many=True).data)


class RunListView(ApiView):
    required_perms = {"GET": VIEW_RUN}
    pagination_class = KeysetCursorPagination

    @extend_schema(parameters=[RunFilterSerializer], responses=RunSerializer(many=True), operation_id="runs_list")
    def get(self, request):
        return runs_page(self, request)


class JobRunsView(ApiView):
    """A job's runs, and "run now" (trigger ``api``, started by the token's user)."""

    required_perms = {"GET": VIEW_RUN, "POST": ("jobs.view_job", "jobs.run_job")}
    pagination_class = KeysetCursorPagination

    @extend_schema(parameters=[RunFilterSerializer], responses=RunSerializer(many=True), operation_id="jobs_runs_list")
    def get(self, request, pk: int):
        get_object_or_404(Job, pk=pk)
        return runs_page(self, request, job=pk)

    @extend_schema(request=RunRequestSerializer, responses={201: RunDetailSerializer, 200: RunDetailSerializer},
                   parameters=[IDEMPOTENCY_HEADER], operation_id="jobs_runs_create")
    def post(self, request, pk: int):
        job = get_object_or_404(Job, pk=pk)
        serializer = RunRequestSerializer(data=request.data, context={"job": job})
        serializer.is_valid(raise_exception=True)
        args = serializer.validated_data["args"]

        def create() -> Run:
            run = run_create(job=job, args=args, trigger=Run.Trigger.API, user=request.user)
            history_record(user=request.user, obj=job, message=f"Ran job through the API: run {run.pk}")
            return run

        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > KEY_MAX_LENGTH:
            raise ValidationError({"Idempotency-Key": [f"At most {KEY_MAX_LENGTH} characters."]})
        if key:
            run, replayed = run_create_idempotent(user=request.user, key=key, job=job, create=create)
        else:
            run, replayed = create(), False
        response = Response(RunDetailSerializer(run_get(run.pk)).data, status=200 if replayed else 201)
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class RunDetailView(ApiView):
    required_perms = {"GET": VIEW_RUN}

    @extend_schema(responses=RunDetailSerializer, operation_id="runs_retrieve")
    def get(self, request, pk: int):
        return Response(RunDetailSerializer(run_get(pk)).data)


class RunCancelView(ApiView):
    required_perms = {"POST": ("jobs.view_run", "jobs.cancel_run")}

    @extend_schema(request=None, responses=RunDetailSerializer, operation_id="runs_cancel")
    def post(self, request, pk: int):
        run = run_cancel(run=run_get(pk), user=request.user)
        history_record(user=request.user, obj=run, message=f"Cancelled run {run.pk} ({run.status}) through the API")
        return Response(RunDetailSerializer(run_get(pk)).data)


class RunRerunView(ApiView):
    required_perms = {"POST": ("jobs.view_run", "jobs.run_job")}

    @extend_schema(request=None, responses={201: RunDetailSerializer}, operation_id="runs_rerun")
    def post(self, request, pk: int):
        run = run_get(pk)
        new = run_rerun(run=run, user=request.user, trigger=Run.Trigger.API)
        history_record(user=request.user, obj=run.job,
                       message=f"Ran job again through the API: run {new.pk} (arguments of run {run.pk})")
        return Response(RunDetailSerializer(run_get(new.pk)).data, status=status.HTTP_201_CREATED)
