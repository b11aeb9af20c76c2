"""The run resource shared by webhooks and ``jobs runs --json`` is the API's, value for value."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from jobs.api.serializers.runs import RunDetailSerializer, RunSerializer
from jobs.models import Run
from jobs.runs.resource import RUN_DETAIL_FIELDS, run_resource
from tests.factories import JobFactory, RunFactory

pytestmark = pytest.mark.django_db


def api_json(serializer_class, run) -> dict:
    return json.loads(JSONRenderer().render(serializer_class(run).data))


@pytest.fixture
def runs(admin_user):
    job = JobFactory(title="Nightly ORCID")
    now = timezone.now()
    first = RunFactory(job=job, status=Run.Status.FAILED, started_at=now - dt.timedelta(minutes=5),
                       finished_at=now - dt.timedelta(minutes=4), message="boom")
    retry = RunFactory(
        job=job, status=Run.Status.PARTIAL_SUCCESS, trigger=Run.Trigger.RETRY, started_by=admin_user, retry_of=first,
        attempt=1, started_at=now - dt.timedelta(seconds=90), finished_at=now, progress_done=3, progress_total=4,
        counters={"created": 3, "updated": 1}, errors=[{"id": "x", "reason": "bad"}], args={"source": "a.tar.gz"},
        host="worker-1", due_at=now - dt.timedelta(minutes=6), message="3 created",
    )
    child = RunFactory(job=job, status=Run.Status.QUEUED, trigger=Run.Trigger.SUBTASK, parent=retry, title="chunk 1")
    return [first, retry, child]


def test_run_resource_equals_the_api_run_resource(runs):
    for run in Run.objects.select_related("job", "started_by").filter(pk__in=[r.pk for r in runs]):
        assert run_resource(run) == api_json(RunSerializer, run)
        detail = api_json(RunDetailSerializer, run)
        extended = run_resource(run, detail=RUN_DETAIL_FIELDS)
        assert extended == {**api_json(RunSerializer, run), **{name: detail[name] for name in RUN_DETAIL_FIELDS}}


def test_run_resource_values(runs):
    retry = Run.objects.select_related("job", "started_by").get(pk=runs[1].pk)
    resource = run_resource(retry, detail=("counters", "errors_total"))
    assert resource["job_title"] == "Nightly ORCID" and resource["started_by"] == "admin"
    assert resource["retry_of"] == runs[0].pk and resource["parent"] is None
    assert resource["progress_percent"] == 75.0 and resource["duration_seconds"] == 90.0
    assert resource["counters"] == {"created": 3, "updated": 1} and resource["errors_total"] == 1
    assert resource["finished_at"].endswith("Z")
