"""Status changes are compare-and-set."""


import pytest

from jobs.models import Run
from jobs.runs.status import run_transition
from tests.factories import RunFactory

Status = Run.Status


@pytest.mark.django_db
def test_run_transition_is_compare_and_set():
    run = RunFactory(status=Status.QUEUED)
    assert not run_transition(run_id=run.pk, from_statuses=[Status.RUNNING], to_status=Status.SUCCESS)
    assert run_transition(run_id=run.pk, from_statuses=[Status.QUEUED], to_status=Status.RUNNING)
    assert run_transition(run_id=run.pk, from_statuses=[Status.RUNNING], to_status=Status.FAILED, message="x")
    run.refresh_from_db()
    assert run.status == Status.FAILED and run.finished_at is not None and run.message == "x"
