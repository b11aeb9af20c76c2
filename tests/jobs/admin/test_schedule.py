"""Job schedules in django-celery-beat's admin (read-only, linked) and the schedule form."""

import pytest
from django_celery_beat.models import ClockedSchedule, PeriodicTask

from jobs.admin.schedule_forms import ScheduleForm
from jobs.scheduling.store import schedule_describe, schedule_set
from tests.factories import JobFactory


@pytest.mark.django_db
def test_job_schedule_is_read_only_in_beat_admin(client, admin_user):
    job = schedule_set(job=JobFactory(title="Nightly"), every="1h")
    other = PeriodicTask.objects.create(name="plain", task="celery.backend_cleanup", interval=job.periodic_task.interval)
    client.force_login(admin_user)
    url = f"/admin/django_celery_beat/periodictask/{job.periodic_task_id}/change/"
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "belongs to the job" in text and 'name="_save"' not in text
    assert client.post(url, {"name": "hijacked"}).status_code == 403
    assert PeriodicTask.objects.get(pk=job.periodic_task_id).name.startswith(f"Job {job.pk}")
    plain = client.get(f"/admin/django_celery_beat/periodictask/{other.pk}/change/").content.decode()
    assert 'name="_save"' in plain
    listing = client.get("/admin/django_celery_beat/periodictask/").content.decode()
    assert "Nightly" in listing
    # Bulk "disable" leaves the job's schedule alone.
    client.post("/admin/django_celery_beat/periodictask/", {
        "action": "disable_tasks", "_selected_action": [job.periodic_task_id, other.pk],
    })
    assert PeriodicTask.objects.get(pk=job.periodic_task_id).enabled
    assert not PeriodicTask.objects.get(pk=other.pk).enabled


@pytest.mark.django_db
def test_schedule_form_round_trip():
    job = JobFactory()
    form = ScheduleForm({"schedule_kind": "crontab", "cron": "30 2 * * *", "schedule_timezone": "Europe/Zurich"}, job=job)
    assert form.is_valid(), form.errors
    job = form.save(job)
    assert schedule_describe(job) == "At 02:30 (Europe/Zurich)"
    again = ScheduleForm(job=job)
    assert again.initial == {"schedule_kind": "crontab", "cron": "30 2 * * *", "schedule_timezone": "Europe/Zurich"}
    form = ScheduleForm({"schedule_kind": "once", "at": "2099-06-01 03:00", "schedule_timezone": "Europe/Zurich"}, job=job)
    assert form.is_valid(), form.errors
    job = form.save(job)
    assert job.periodic_task.clocked.clocked_time.isoformat() == "2099-06-01T01:00:00+00:00"
    task_id, clocked_id = job.periodic_task_id, job.periodic_task.clocked_id
    form = ScheduleForm({"schedule_kind": ""}, job=job)
    assert form.is_valid(), form.errors
    job = form.save(job)
    assert job.periodic_task is None and schedule_describe(job) == "Not scheduled"
    job.refresh_from_db()
    assert job.periodic_task_id is None
    assert not PeriodicTask.objects.filter(pk=task_id).exists()
    assert not ClockedSchedule.objects.filter(pk=clocked_id).exists()
    assert "schedule_kind" not in ScheduleForm(job=job).initial


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"schedule_kind": "interval", "every": "soon"}, "every"),
        ({"schedule_kind": "crontab", "cron": "bad"}, "cron"),
        ({"schedule_kind": "once", "at": "2001-01-01 00:00"}, "at"),
    ],
)
def test_schedule_form_errors_name_the_field(data, field):
    form = ScheduleForm(data, job=JobFactory())
    assert not form.is_valid() and field in form.errors


@pytest.mark.django_db
def test_job_admin_shows_and_edits_the_schedule(client, admin_user):
    from django.urls import reverse

    job = schedule_set(job=JobFactory(title="Nightly"), cron="30 2 * * *", tz="Europe/Zurich")
    client.force_login(admin_user)
    listing = client.get(reverse("admin:jobs_job_changelist")).content.decode()
    assert "At 02:30 (Europe/Zurich)" in listing and "next " in listing
    page = client.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()
    assert "Next due times" in page and page.count("<li>") >= 5 and "CE" in page
    url = reverse("admin:jobs_job_schedule", args=[job.pk])
    assert client.get(url).status_code == 200
    bad = client.post(url, {"schedule_kind": "interval", "every": "sometimes"})
    assert bad.status_code == 200 and "positive number" in bad.content.decode()
    good = client.post(url, {"schedule_kind": "interval", "every": "15m", "schedule_timezone": "UTC"})
    assert good.status_code == 302
    job.refresh_from_db()
    assert schedule_describe(job) == "Every 15 minutes"
    task_id = job.periodic_task_id
    cleared = client.post(url, {"schedule_kind": ""})
    assert cleared.status_code == 302 and cleared["Location"] == reverse("admin:jobs_job_change", args=[job.pk])
    job.refresh_from_db()
    assert job.periodic_task_id is None and schedule_describe(job) == "Not scheduled"
    assert not PeriodicTask.objects.filter(pk=task_id).exists()
    assert "Not scheduled" in client.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()


@pytest.mark.django_db
def test_schedule_page_needs_change_permission(client):
    from django.contrib.auth.models import Permission
    from django.urls import reverse

    from tests.factories import UserFactory

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_job"))
    job = JobFactory()
    client.force_login(viewer)
    assert client.post(reverse("admin:jobs_job_schedule", args=[job.pk]), {"schedule_kind": ""}).status_code == 403
