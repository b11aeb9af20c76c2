"""Purging old runs keeps recent runs, the last K per job, and active runs."""


import datetime as dt

import pytest
from django.utils import timezone

from jobs.models import Run, RunLog
from jobs.runs.purge import runs_purge
from tests.factories import JobFactory, RunFactory

Status = Run.Status


def _old(job, days, status=Status.SUCCESS, logs=0):
    run = RunFactory(job=job, status=status, created_at=timezone.now() - dt.timedelta(days=days))
    RunLog.objects.bulk_create(
        RunLog(run=run, seq=i + 1, created_at=run.created_at, level=20, logger="t", message="m") for i in range(logs)
    )
    return run


@pytest.mark.django_db
def test_runs_purge_keeps_recent_runs_the_last_k_per_job_and_active_runs():
    a, b = JobFactory(), JobFactory()
    a_runs = [_old(a, days, logs=2) for days in (100, 90, 80, 70)]  # oldest first
    a_active = _old(a, 200, status=Status.RUNNING)
    a_recent = _old(a, 1)
    b_only = _old(b, 300, logs=1)
    retry = RunFactory(job=a, retry_of=a_runs[0])

    result = runs_purge(keep_days=30, keep_last=3)
    # a's newest three are retry, a_recent and a_runs[3]: a_runs[0..2] are old enough and beyond them.
    assert result == {"runs": 3, "logs": 6}
    remaining = set(Run.objects.values_list("pk", flat=True))
    assert remaining == {a_runs[3].pk, a_active.pk, a_recent.pk, b_only.pk, retry.pk}
    retry.refresh_from_db()
    assert retry.retry_of is None
    assert RunLog.objects.filter(run=b_only).count() == 1

    assert runs_purge(keep_days=0, keep_last=0) == {"runs": 4, "logs": 3}
    assert set(Run.objects.values_list("pk", flat=True)) == {a_active.pk}
