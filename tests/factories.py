"""factory_boy factories for the job system's models."""

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from jobs.models import Job, Run, RunLog


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("password")


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    title = factory.Sequence(lambda n: f"Job {n}")
    task_type = "test_echo"
    default_args = factory.LazyFunction(dict)


class RunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Run

    job = factory.SubFactory(JobFactory)
    status = Run.Status.SUCCESS
    trigger = Run.Trigger.ADMIN
    args = factory.LazyFunction(dict)
    # Its message went to the broker when it was created (an unsent run is the outbox's).
    sent_at = factory.LazyAttribute(lambda run: getattr(run, "created_at", None) or timezone.now())


def log_lines_add(run, n, *, start=0):
    """Store ``n`` log lines of ``run`` from seq ``start``: "line I of N", every 100th (I % 100 == 7) an error."""
    now = timezone.now()
    RunLog.objects.bulk_create(
        RunLog(run=run, seq=i, created_at=now, level=40 if i % 100 == 7 else 20, logger="tests", message=f"line {i} of {n}")
        for i in range(start, start + n)
    )
