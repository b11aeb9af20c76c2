"""What previewed arguments will do, in words (``jobs/admin/preview.py``), on Run now and Run again."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from jobs.admin.preview import arguments_notes
from jobs.models import Run
from tests.factories import JobFactory, RunFactory


def test_since_is_explained_and_other_arguments_need_no_words():
    notes = arguments_notes({"since": "2026-12-01T22:15:00+00:00", "source": "x.zip"})
    assert len(notes) == 1
    assert notes[0].startswith("since: records modified since ") and "“skipped (since)”" in notes[0]
    assert arguments_notes({"since": None}) == ["since is empty: every record is read."]
    assert arguments_notes({"lines": 3}) == [] and arguments_notes(None) == []


@pytest.mark.django_db
def test_run_now_and_run_again_say_what_since_will_do(admin_client):
    job = JobFactory(task_type="test_since")
    started = timezone.now() - dt.timedelta(hours=1)
    RunFactory(job=job, status=Run.Status.SUCCESS, started_at=started, finished_at=started)
    html = admin_client.get(reverse("admin:jobs_job_run", args=[job.pk])).content.decode()
    assert "records modified since" in html and "jobs-preview-note" in html

    old = RunFactory(job=job, status=Run.Status.SUCCESS, args={"since": started.isoformat()})
    response = admin_client.get(reverse("admin:jobs_run_rerun", args=[old.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and started.isoformat() in html and "records modified since" in html
    assert Run.objects.filter(job=job).count() == 2  # the preview starts nothing
    response = admin_client.post(reverse("admin:jobs_run_rerun", args=[old.pk]))
    new = Run.objects.filter(job=job).order_by("-pk").first()
    assert response["Location"] == reverse("admin:jobs_run_change", args=[new.pk]) and new.args == old.args
