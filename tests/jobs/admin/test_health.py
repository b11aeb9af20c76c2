"""The Health page: its data, its permission, and a constant number of queries."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jobs.admin.health import health_context, runs_per_hour
from jobs.models import Job, Run
from jobs.scheduling.store import schedule_next_fire_times, schedule_set
from tests.factories import JobFactory, RunFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/admin/jobs/health/"


def _history(n_jobs=3):
    now = timezone.now()
    jobs = [JobFactory(title=f"health {i}", task_type="test_echo") for i in range(n_jobs)]
    for i, job in enumerate(jobs):
        for hours in (1, 30, 200):  # the last is older than 7 days
            created = now - dt.timedelta(hours=hours)
            RunFactory(job=job, status=Run.Status.SUCCESS, created_at=created, started_at=created,
                       finished_at=created + dt.timedelta(seconds=10 * (i + 1)))
        schedule_set(job=job, every=600 * (i + 1))
    RunFactory(job=jobs[0], status=Run.Status.FAILED, created_at=now, message="boom")
    return jobs


def test_health_data():
    jobs = _history()
    # Other scheduled jobs (the migration's minutely reaper, when present) would fill the next ten ticks.
    Job.objects.exclude(pk__in=[job.pk for job in jobs]).update(active=False)
    now = timezone.now()
    context = health_context(now)
    hourly = context["hourly_chart"]
    assert len(hourly["labels"]) == 24 * 7
    assert hourly["total"] == 3 * 2 + 1  # runs older than 7 days left out
    assert sum(hourly["series"]["success"]) == 6 and sum(hourly["series"]["failed"]) == 1
    assert [row["job_id"] for row in context["slowest"]] == [jobs[2].pk, jobs[1].pk, jobs[0].pk]
    assert context["slowest"][0]["mean_text"] == "30.0 s"
    assert [job.pk for job in context["failing"]] == [jobs[0].pk]
    assert context["failing"][0].outcome_message == "boom"
    ticks = context["next_ticks"]
    assert len(ticks) == 10
    assert [when for when, _ in ticks] == sorted(when for when, _ in ticks)
    scheduled = Job.objects.filter(active=True, periodic_task__isnull=False)
    expected = sorted(when for job in scheduled for when in schedule_next_fire_times(job, 10, now=now))[:10]
    assert [when for when, _ in ticks] == expected
    assert jobs[0].pk in {job.pk for _, job in ticks}


def test_runs_per_hour_puts_each_run_in_its_hour():
    now = dt.datetime(2026, 11, 30, 12, 30, tzinfo=dt.UTC)
    job = JobFactory()
    RunFactory(job=job, created_at=dt.datetime(2026, 11, 30, 11, 59, tzinfo=dt.UTC))
    RunFactory(job=job, created_at=dt.datetime(2026, 11, 30, 12, 1, tzinfo=dt.UTC), status=Run.Status.FAILED)
    data = runs_per_hour(now)
    assert data["labels"][-1] == "Mon 30 12:00" and data["labels"][-2] == "Mon 30 11:00"
    assert data["series"]["success"][-2:] == [1, 0]
    assert data["series"]["failed"][-2:] == [0, 1]


def test_page_costs_a_constant_number_of_queries(su):
    _history(2)
    with CaptureQueriesContext(connection) as few:
        assert su.get(URL).status_code == 200
    _history(12)
    with CaptureQueriesContext(connection) as many:
        response = su.get(URL)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert b'id="jobs-hourly-data"' in response.content


def test_linked_from_the_admin_index_and_needs_view_permission(su):
    assert URL in su.get("/admin/").content.decode()
    nobody = UserFactory(is_staff=True)
    client = Client()
    client.force_login(nobody)
    assert client.get(URL).status_code == 403
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.groups.add(Group.objects.get(name="Job viewers"))
    client.force_login(viewer)
    assert client.get(URL).status_code == 200
    assert Client().get(URL).status_code == 302  # to the login page
