"""Admin history: schedule edits are recorded like runs and cancels; deleting a run returns to the run list."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from jobs.models import Run
from tests.factories import JobFactory, RunFactory

pytestmark = pytest.mark.django_db


def test_a_schedule_edit_is_in_the_jobs_history(su):  # noqa: F811
    job = JobFactory(task_type="test_echo")
    url = reverse("admin:jobs_job_schedule", args=[job.pk])
    response = su.post(url, {"schedule_kind": "interval", "every": "15m"})
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = LogEntry.objects.get(object_id=str(job.pk))
    assert entry.get_change_message() == "Changed schedule: Not scheduled → Every 15 minutes"
    history = su.get(reverse("admin:jobs_job_history", args=[job.pk])).content.decode()
    assert "Changed schedule: Not scheduled → Every 15 minutes" in history


def test_deleting_a_run_returns_to_the_run_list(su):  # noqa: F811
    run = RunFactory(status=Run.Status.SUCCESS)
    response = su.post(reverse("admin:jobs_run_delete", args=[run.pk]), {"post": "yes"})
    assert response.status_code == 302 and response["Location"] == reverse("admin:jobs_run_changelist")
    assert not Run.objects.filter(pk=run.pk).exists()
