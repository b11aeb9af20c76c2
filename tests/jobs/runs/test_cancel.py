"""Cancelling queued, running, cancelling and finished runs."""


import pytest

from jobs.exceptions import RunNotCancellable
from jobs.models import Run
from jobs.runs.cancel import run_cancel
from tests.factories import RunFactory, UserFactory

Status = Run.Status


@pytest.mark.django_db
def test_run_cancel_queued_running_cancelling_and_finished():
    user = UserFactory()
    queued = run_cancel(run=RunFactory(status=Status.QUEUED), user=user)
    assert queued.status == Status.CANCELLED and queued.cancelled_by == user and queued.finished_at
    assert queued.message == "cancelled before it started"
    running = run_cancel(run=RunFactory(status=Status.RUNNING), user=user)
    assert running.status == Status.CANCELLING and running.cancelled_by == user and running.finished_at is None
    assert run_cancel(run=running).status == Status.CANCELLING  # asking twice is fine
    for status in Run.FINAL_STATUSES:
        run = RunFactory(status=status)
        with pytest.raises(RunNotCancellable, match="has already ended"):
            run_cancel(run=run)
        run.refresh_from_db()
        assert run.status == status
