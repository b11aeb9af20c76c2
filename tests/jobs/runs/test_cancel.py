"""Cancelling queued, running, cancelling and finished runs."""


import pytest

from jobs.exceptions import RunNotCancellable
from jobs.models import Run
from jobs.runs.cancel import cancel_enforce, run_cancel
from jobs.runs.cancelled import cancelled_message
from tests.factories import RunFactory, UserFactory

Status = Run.Status


@pytest.mark.django_db
def test_run_cancel_queued_running_cancelling_and_finished():
    user = UserFactory()
    queued = run_cancel(run=RunFactory(status=Status.QUEUED), user=user)
    assert queued.status == Status.CANCELLED and queued.cancelled_by == user and queued.finished_at
    assert queued.message == f"cancelled by {user.username} before it started"
    running = run_cancel(run=RunFactory(status=Status.RUNNING), user=user)
    assert running.status == Status.CANCELLING and running.cancelled_by == user and running.finished_at is None
    assert run_cancel(run=running).status == Status.CANCELLING  # asking twice is fine
    for status in Run.FINAL_STATUSES:
        run = RunFactory(status=status)
        with pytest.raises(RunNotCancellable, match="has already ended"):
            run_cancel(run=run)
        run.refresh_from_db()
        assert run.status == status


def test_the_message_says_who_cancelled_and_how_far_the_run_got():
    assert cancelled_message(by="admin", done=15_000, total=60_000) == "cancelled by admin after 15,000 of 60,000 records"
    assert cancelled_message(by=None, done=8_726_753, total=26_213_721, unit="bytes") == (
        "cancelled on request after 8.7 MB of 26.2 MB"
    )
    assert cancelled_message(by="admin") == "cancelled by admin"
    assert cancelled_message(by=None, before_start=True) == "cancelled before it started"


@pytest.mark.django_db
def test_an_enforced_cancel_names_the_canceller_and_the_progress():
    user = UserFactory(username="ops")
    run = RunFactory(status=Status.RUNNING, progress_done=15_000, progress_total=60_000)
    run_cancel(run=run, user=user)
    assert cancel_enforce(run_id=run.pk)
    run.refresh_from_db()
    assert run.message == "cancelled by ops after 15,000 of 60,000 records: the task ignored the request and was terminated"
