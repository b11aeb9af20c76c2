"""Retries: failed runs come back with a doubling backoff; the chain is visible."""

import datetime as dt

import pytest

from jobs.models import Run
from jobs.runs.execution import run_execute
from jobs.runs.retries import run_chain
from jobs.runs.services import run_create
from tests.conftest import wait_for
from tests.factories import JobFactory


@pytest.mark.django_db
def test_failed_runs_retry_with_doubling_backoff_until_max_retries():
    job = JobFactory(task_type="test_fail", max_retries=2, retry_backoff_seconds=10)
    first = run_create(job=job, args={})
    assert run_execute(run_id=first.pk) == "failed"
    second = Run.objects.get(retry_of=first)
    assert (second.trigger, second.attempt, second.status, second.args) == ("retry", 1, "queued", first.args)
    assert abs((second.not_before - second.created_at) - dt.timedelta(seconds=10)) < dt.timedelta(seconds=1)
    run_execute(run_id=second.pk)
    third = Run.objects.get(retry_of=second)
    assert third.attempt == 2
    assert abs((third.not_before - third.created_at) - dt.timedelta(seconds=20)) < dt.timedelta(seconds=1)
    run_execute(run_id=third.pk)
    assert not Run.objects.filter(retry_of=third).exists()
    assert run_chain(second) == [first, second, third] == run_chain(third)


@pytest.mark.django_db
@pytest.mark.parametrize(("task_type", "args"), [("test_partial", {}), ("test_echo", {"lines": 1})])
def test_partial_success_and_success_are_not_retried(task_type, args):
    job = JobFactory(task_type=task_type, max_retries=3)
    run = run_create(job=job, args=args)
    run_execute(run_id=run.pk)
    assert not Run.objects.filter(retry_of=run).exists()


@pytest.mark.django_db
def test_cancelled_runs_are_not_retried():
    from jobs.runs.cancel import run_cancel

    job = JobFactory(task_type="test_fail", max_retries=3)
    run = run_cancel(run=run_create(job=job, args={}))
    assert run.status == "cancelled" and not Run.objects.filter(retry_of=run).exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_retries_run_on_the_worker_after_their_backoff(celery_worker):
    job = JobFactory(task_type="test_fail", max_retries=2, retry_backoff_seconds=1)
    first = run_create(job=job, args={})

    def chain_done():
        chain = run_chain(Run.objects.get(pk=first.pk))
        return chain if len(chain) == 3 and chain[-1].status == "failed" else None

    chain = wait_for(chain_done, timeout=30, message="retry chain")
    assert [r.status for r in chain] == ["failed", "failed", "failed"]
    assert [r.trigger for r in chain] == ["admin", "retry", "retry"]
    assert (chain[1].started_at - chain[0].finished_at).total_seconds() >= 0.9
    assert (chain[2].started_at - chain[1].finished_at).total_seconds() >= 1.9
