"""Jobs through the API: list with filters and search, create, read, update, delete, schedule."""

from __future__ import annotations

import pytest
from django_celery_beat.models import PeriodicTask

from jobs.models import Job, Run
from tests.factories import JobFactory, RunFactory

pytestmark = pytest.mark.django_db


REAPER = "Reap lost runs"  # created by a migration


def titles(response):
    assert response.status_code == 200, response.content
    return [job["title"] for job in response.json()["results"] if job["title"] != REAPER]


def test_list_filters_and_search(su_api):
    echo = JobFactory(title="Echo A", description="says hello")
    failed = JobFactory(title="Failing B", task_type="test_fail")
    JobFactory(title="Paused C", active=False)
    RunFactory(job=echo, status=Run.Status.SUCCESS)
    RunFactory(job=failed, status=Run.Status.FAILED)
    assert titles(su_api.get("/api/v1/jobs/")) == ["Echo A", "Failing B", "Paused C"]
    assert titles(su_api.get("/api/v1/jobs/?task_type=test_fail")) == ["Failing B"]
    assert titles(su_api.get("/api/v1/jobs/?active=false")) == ["Paused C"]
    assert titles(su_api.get("/api/v1/jobs/?last_status=failed")) == ["Failing B"]
    assert titles(su_api.get("/api/v1/jobs/?last_status=never")) == ["Paused C"]
    assert titles(su_api.get("/api/v1/jobs/?active=true&last_status=never")) == []
    assert titles(su_api.get("/api/v1/jobs/?search=hello")) == ["Echo A"]
    listed = su_api.get("/api/v1/jobs/?search=Failing").json()
    assert listed["count"] == 1 and listed["results"][0]["last_run"]["status"] == "failed"
    bad = su_api.get("/api/v1/jobs/?last_status=exploded")
    assert bad.status_code == 400 and "last_status" in bad.json()["errors"]


def test_create_validates_defaults_by_the_type_schema_and_stores_nothing_when_invalid(su_api, superuser):
    bad = su_api.post("/api/v1/jobs/", {"title": "Bad", "task_type": "test_fields", "default_args": {"count": "many"}})
    assert bad.status_code == 400
    errors = bad.json()["errors"]["default_args"]
    assert "text" in errors and "count" in errors
    assert su_api.post("/api/v1/jobs/", {"title": "X", "task_type": "no_such_type"}).json()["errors"].keys() == {"task_type"}
    assert not Job.objects.exclude(title=REAPER).exists()
    created = su_api.post(
        "/api/v1/jobs/",
        {"title": "Good", "task_type": "test_fields", "default_args": {"text": "hi", "count": "3"}, "max_retries": 2},
    )
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["default_args"] == {"text": "hi", "count": 3} and data["max_retries"] == 2
    assert data["type_title"] == "All field types" and data["schedule"] == "Not scheduled"
    assert Job.objects.get(pk=data["id"]).created_by == superuser


def test_update_checks_fields_and_settings(su_api):
    job = JobFactory(task_type="test_echo", default_args={"lines": 2})
    changed = su_api.patch(f"/api/v1/jobs/{job.pk}/", {"title": "Renamed", "default_args": {"lines": 5}, "task_type": "x"})
    assert changed.status_code == 200, changed.content
    job.refresh_from_db()
    assert (job.title, job.default_args, job.task_type) == ("Renamed", {"lines": 5}, "test_echo")
    bad = su_api.patch(f"/api/v1/jobs/{job.pk}/", {"default_args": {"lines": -1}})
    assert bad.status_code == 400 and "lines" in bad.json()["errors"]["default_args"]
    clash = su_api.patch(f"/api/v1/jobs/{job.pk}/", {"soft_time_limit": 60, "time_limit": 30})
    assert clash.status_code == 400 and "soft_time_limit" in clash.json()["errors"]
    job.refresh_from_db()
    assert job.default_args == {"lines": 5} and job.soft_time_limit is None


def test_delete_is_refused_while_a_run_is_active(su_api):
    job = JobFactory()
    run = RunFactory(job=job, status=Run.Status.RUNNING)
    su_api.put(f"/api/v1/jobs/{job.pk}/schedule/", {"every": "1h"})
    refused = su_api.delete(f"/api/v1/jobs/{job.pk}/")
    assert refused.status_code == 409 and refused.json()["code"] == "job_busy"
    assert Job.objects.filter(pk=job.pk).exists()
    Run.objects.filter(pk=run.pk).update(status=Run.Status.SUCCESS)
    assert su_api.delete(f"/api/v1/jobs/{job.pk}/").status_code == 204
    assert not Job.objects.filter(pk=job.pk).exists()
    assert not PeriodicTask.objects.filter(task="jobs.fire_schedule", job__isnull=True).exists()
    assert su_api.get(f"/api/v1/jobs/{job.pk}/").status_code == 404


def test_schedule_read_set_clear_with_the_next_five_due_times(su_api):
    job = JobFactory()
    assert su_api.get(f"/api/v1/jobs/{job.pk}/schedule/").json()["kind"] is None
    cron = su_api.put(f"/api/v1/jobs/{job.pk}/schedule/", {"cron": "0 3 * * *", "timezone": "Europe/Zurich"}).json()
    assert (cron["kind"], cron["cron"], cron["timezone"], cron["enabled"]) == ("cron", "0 3 * * *", "Europe/Zurich", True)
    assert len(cron["next"]) == 5 and all("T03:00:00+" in moment for moment in cron["next"])
    every = su_api.put(f"/api/v1/jobs/{job.pk}/schedule/", {"every": "15m"}).json()
    assert every["kind"] == "interval" and every["every_seconds"] == 900 and len(every["next"]) == 5
    for bad in ({"cron": "61 * * * *"}, {"every": "often"}, {"at": "2001-01-01T00:00+00:00"}, {},
                {"every": "1h", "cron": "* * * * *"}, {"cron": "0 3 * * *", "timezone": "Mars/Olympus"}):
        response = su_api.put(f"/api/v1/jobs/{job.pk}/schedule/", bad)
        assert response.status_code == 400, (bad, response.content)
    assert su_api.get(f"/api/v1/jobs/{job.pk}/schedule/").json()["every_seconds"] == 900
    cleared = su_api.delete(f"/api/v1/jobs/{job.pk}/schedule/").json()
    assert cleared["kind"] is None and cleared["next"] == [] and cleared["description"] == "Not scheduled"


def test_job_types_with_their_arguments_schema(su_api):
    listed = su_api.get("/api/v1/job-types/").json()
    assert {"id": "test_echo", "title": "Echo", "description": "Log a message a number of times."} in listed
    echo = su_api.get("/api/v1/job-types/test_echo/").json()
    assert echo["arguments_schema"]["properties"]["lines"] == {"type": "integer", "minimum": 0, "maximum": 1000000,
                                                               "default": 3}
    missing = su_api.get("/api/v1/job-types/nope/")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
