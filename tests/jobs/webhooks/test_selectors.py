"""Asking whether a job has webhooks costs no query on the hot path of a run's end."""

import pytest

from jobs.models import Run
from jobs.runs.followups import run_followups
from jobs.webhooks import selectors
from jobs.webhooks.models import Webhook
from tests.factories import JobFactory, RunFactory

pytestmark = pytest.mark.django_db


def test_a_job_without_webhooks_costs_no_query(settings, django_assert_num_queries):
    settings.JOBS_WEBHOOK_CACHE_SECONDS = 60
    job = JobFactory()
    run = RunFactory(job=job, status=Run.Status.SUCCESS)
    selectors.cache_clear()
    selectors.webhook_statuses(job.pk)  # loads the map once for the process
    with django_assert_num_queries(0):
        run_followups(run_id=run.pk, status=run.status, job=job)


def test_saving_a_webhook_refreshes_this_process_at_once(settings):
    settings.JOBS_WEBHOOK_CACHE_SECONDS = 60
    job = JobFactory()
    assert selectors.webhook_statuses(job.pk) == frozenset()
    webhook = Webhook.objects.create(job=job, url="https://hooks.example.org/x", statuses=["failed", "cancelled"])
    assert selectors.webhook_statuses(job.pk) == {"failed", "cancelled"}
    webhook.active = False
    webhook.save()
    assert selectors.webhook_statuses(job.pk) == frozenset()
