"""``jobs/admin/job.py``'s Run now: the arguments are validated and built once, and stored as previewed."""

import json

import pytest
from django.urls import reverse

from jobs.admin.forms import ARG_PREFIX
from jobs.models import Run
from tests.factories import JobFactory
from tests.jobtypes import Counted

pytestmark = pytest.mark.django_db


@pytest.fixture
def builds(monkeypatch):
    """``Counted.build_task_arguments`` calls, counted from 0 for this test."""
    monkeypatch.setattr(Counted, "builds", 0)
    return lambda: Counted.builds


def run_now_url(job):
    return reverse("admin:jobs_job_run", args=[job.pk])


def test_run_now_builds_the_arguments_once_and_stores_what_it_previewed(admin_client, builds):
    job = JobFactory(task_type="test_counted")
    response = admin_client.post(run_now_url(job), {ARG_PREFIX + "n": "7", "_run": "1"})
    run = Run.objects.get(job=job)
    assert response.status_code == 302 and response["Location"] == reverse("admin:jobs_run_change", args=[run.pk])
    assert builds() == 1
    assert run.args == {"n": 7, "build": 1}


def test_the_preview_shows_what_the_next_submission_stores(admin_client, builds):
    job = JobFactory(task_type="test_counted")
    response = admin_client.post(run_now_url(job), {ARG_PREFIX + "n": "3", "_preview": "1"})
    assert response.status_code == 200 and not Run.objects.exists()
    assert json.loads(response.context["preview"]) == {"n": 3, "build": 1}
    admin_client.post(run_now_url(job), {"override": '{"n": 4}', "_run": "1"})
    assert builds() == 2
    assert Run.objects.get(job=job).args == {"n": 4, "build": 2}


def test_invalid_arguments_are_not_built_and_store_nothing(admin_client, builds):
    job = JobFactory(task_type="test_counted")
    response = admin_client.post(run_now_url(job), {"override": '{"n": "many"}', "_run": "1"})
    assert response.status_code == 200 and "n" in " ".join(response.context["form"].errors["override"])
    assert builds() == 0 and not Run.objects.exists()
