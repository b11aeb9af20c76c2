"""The job page's charts and webhook deliveries: the data, and a constant number of queries."""

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jobs.admin.job_charts import CHART_RUNS
from jobs.models import Run
from jobs.webhooks.models import Delivery, Webhook
from tests.factories import JobFactory, RunFactory

pytestmark = pytest.mark.django_db


def _runs(job, n, start=0):
    base = timezone.now() - dt.timedelta(days=1)
    for i in range(start, start + n):
        created = base + dt.timedelta(minutes=i)
        RunFactory(job=job, status=Run.Status.FAILED if i % 4 == 0 else Run.Status.SUCCESS, created_at=created,
                   started_at=created, finished_at=created + dt.timedelta(seconds=i + 1),
                   counters={"created": i, "updated": 2 * i})


def _json(response, element_id):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', response.content.decode(), re.S)
    return json.loads(match.group(1)) if match else None


def _page(client, job):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("admin:jobs_job_change", args=[job.pk]))
    assert response.status_code == 200
    return response, len(ctx.captured_queries)


def test_duration_chart_has_the_last_100_finished_runs_and_their_median(su):
    job = JobFactory(task_type="test_echo")
    _runs(job, 120)
    RunFactory(job=job, status=Run.Status.QUEUED)  # not finished: no bar
    response, _ = _page(su, job)
    data = _json(response, "jobs-duration-data")
    assert len(data["bars"]) == CHART_RUNS - 1
    assert [bar["seconds"] for bar in data["bars"]] == [float(i + 1) for i in range(21, 120)]  # oldest first
    assert data["median"] == 71.0
    assert data["bars"][-1]["url"] == reverse("admin:jobs_run_change", args=[Run.objects.filter(job=job, status__in=["success", "failed"]).order_by("-created_at").first().pk])
    assert {bar["status"] for bar in data["bars"]} == {"success", "failed"}
    counters = _json(response, "jobs-counters-data")
    assert sorted(counters["series"]) == ["created", "updated"]
    assert counters["series"]["updated"][-1] == 238


def test_no_counters_chart_for_runs_without_counters(su):
    job = JobFactory(task_type="test_echo")
    RunFactory(job=job, started_at=timezone.now(), finished_at=timezone.now())
    response, _ = _page(su, job)
    assert _json(response, "jobs-duration-data") is not None
    assert _json(response, "jobs-counters-data") is None


def test_job_page_costs_the_same_queries_for_more_runs_and_deliveries(su):
    job = JobFactory(task_type="test_echo")
    webhook = Webhook.objects.create(job=job, url="https://hooks.example.org/a", statuses=["failed"])
    _runs(job, 5)
    Delivery.objects.create(webhook=webhook, run=Run.objects.filter(job=job).first(), body="{}", status="failed",
                            attempts=5, response_status=503, response_body="down")
    _, few = _page(su, job)
    _runs(job, 200, start=5)
    for run in Run.objects.filter(job=job)[1:30]:
        Delivery.objects.create(webhook=webhook, run=run, body="{}", status="delivered", attempts=1, response_status=200)
    Webhook.objects.create(job=job, url="https://hooks.example.org/b", statuses=["success"])
    response, many = _page(su, job)
    assert many == few
    html = response.content.decode()
    assert html.count('class="jobs-badge jobs-delivery-') == 10
    assert "https://hooks.example.org/b" in html  # the panel lists both webhooks
