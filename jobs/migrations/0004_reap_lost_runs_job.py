"""Create the "Reap lost runs" job, scheduled every minute."""

import json

from django.db import migrations
from django.utils import timezone


def create(apps, schema_editor):
    Job = apps.get_model("jobs", "Job")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    if Job.objects.filter(task_type="reap_lost_runs").exists():
        return
    job = Job.objects.create(
        title="Reap lost runs",
        task_type="reap_lost_runs",
        description="Ends runs whose worker was lost and re-sends queued runs whose message was lost.",
        overlap_policy="skip",
        missed_grace_seconds=50,
    )
    every, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    task = PeriodicTask.objects.create(
        name=f"Job {job.pk}: {job.title}",
        task="jobs.fire_schedule",
        kwargs=json.dumps({"job_id": job.pk}),
        interval=every,
        enabled=True,
        description=f"Schedule of job {job.pk} (edit it on the job's page).",
    )
    Job.objects.filter(pk=job.pk).update(periodic_task=task)
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove(apps, schema_editor):
    Job = apps.get_model("jobs", "Job")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for job in Job.objects.filter(task_type="reap_lost_runs"):
        if job.periodic_task_id:
            PeriodicTask.objects.filter(pk=job.periodic_task_id).delete()
        job.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0003_schedules_run_control"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
