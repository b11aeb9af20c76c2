"""Subtasks: child runs fanned out over workers, their parent ending from their outcomes."""

import pytest

from jobs.models import Run
from jobs.runs.cancel import run_cancel
from jobs.runs.ending import run_end
from jobs.runs.execution import run_execute
from jobs.runs.reaper import runs_reap
from jobs.runs.services import run_create
from tests.conftest import wait_for
from tests.factories import JobFactory, RunFactory

Status = Run.Status


def _parent(**args) -> Run:
    job = JobFactory(task_type="test_fanout")
    run = run_create(job=job, args=args)
    run_execute(run_id=run.pk)
    run.refresh_from_db()
    return run


def _children(parent: Run) -> list[Run]:
    return list(Run.objects.filter(parent=parent).order_by("pk"))


@pytest.mark.django_db
def test_the_parent_waits_without_a_worker_and_ends_when_its_last_child_ends():
    parent = _parent(children=3)
    children = _children(parent)
    assert [(c.trigger, c.status, c.title, c.task_name) for c in children] == [
        (Run.Trigger.SUBTASK, Status.QUEUED, f"part {i}", "tests.fanout_part") for i in range(3)
    ]
    assert children[1].args == {"index": 1, "fail": False, "errored": False} and children[0].job_id == parent.job_id
    assert parent.status == Status.RUNNING and parent.awaiting_children
    assert parent.message == "waiting for 3 of 3 subtasks" and (parent.progress_done, parent.progress_total) == (0, 3)
    for done, child in enumerate(children, 1):
        assert run_execute(run_id=child.pk) == Status.SUCCESS
        parent.refresh_from_db()
        if done < 3:
            assert parent.status == Status.RUNNING and parent.message == f"waiting for {3 - done} of 3 subtasks"
            assert parent.progress_done == done
    assert parent.status == Status.SUCCESS and parent.finished_at
    assert parent.counters == {"spawned": 3, "created": 1 + 2 + 3}
    assert parent.message == "3 subtasks: 3 success"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        ({"children": 3, "fail": [1]}, Status.PARTIAL_SUCCESS, "3 subtasks: 1 failed, 2 success"),
        ({"children": 2, "fail": [0, 1]}, Status.FAILED, "2 subtasks: 2 failed"),
        ({"children": 2, "errored": [0]}, Status.PARTIAL_SUCCESS, "2 subtasks: 1 partial success, 1 success"),
    ],
)
def test_the_parents_status_follows_its_childrens(args, status, message):
    parent = _parent(**args)
    for child in _children(parent):
        run_execute(run_id=child.pk)
    parent.refresh_from_db()
    assert (parent.status, parent.message) == (status, message)
    if args.get("errored"):
        assert parent.errors == [{"id": "record-0", "reason": "not valid", "subtask": _children(parent)[0].pk}]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        ({"then": "returns"}, Status.SUCCESS, "joined (children_ok=True) (2 subtasks: 2 success)"),
        ({"then": "returns", "errored": [0]}, Status.PARTIAL_SUCCESS,
         "joined (children_ok=True) (2 subtasks: 1 partial success, 1 success)"),
        ({"then": "returns", "fail": [1]}, Status.PARTIAL_SUCCESS,
         "joined (children_ok=False) (2 subtasks: 1 failed, 1 success)"),
        ({"then": "raises"}, Status.FAILED,
         "RuntimeError: the join failed (children_ok=True) (2 subtasks: 2 success)"),
        ({"then": "raises", "fail": [0]}, Status.FAILED,
         "RuntimeError: the join failed (children_ok=False) (2 subtasks: 1 failed, 1 success)"),
    ],
)
def test_the_task_after_the_last_child_heads_the_message_and_fails_the_parent_when_it_raises(args, status, message):
    parent = _parent(children=2, **args)
    assert parent.then_task == "tests.fanout_then" and parent.then_args == {"raises": args["then"] == "raises"}
    first, last = _children(parent)
    run_execute(run_id=first.pk)
    parent.refresh_from_db()
    assert parent.status == Status.RUNNING  # not called before the last child
    run_execute(run_id=last.pk)
    parent.refresh_from_db()
    assert (parent.status, parent.message) == (status, message)


@pytest.mark.django_db
def test_a_parent_whose_own_task_fails_ends_failed_and_cancels_its_queued_children():
    parent = _parent(children=2, raise_after=True)
    assert parent.status == Status.FAILED and "the parent failed after spawning" in parent.message
    assert [c.status for c in _children(parent)] == [Status.CANCELLED, Status.CANCELLED]
    assert _children(parent)[0].message == "cancelled: its parent run ended"


@pytest.mark.django_db
def test_cancelling_a_waiting_parent_cancels_its_children_and_then_the_parent():
    parent = _parent(children=2)
    running = _children(parent)[0]
    Run.objects.filter(pk=running.pk).update(status=Status.RUNNING)
    run_cancel(run=parent)
    statuses = {c.pk: c.status for c in _children(parent)}
    assert statuses == {running.pk: Status.CANCELLING, _children(parent)[1].pk: Status.CANCELLED}
    parent.refresh_from_db()
    assert parent.status == Status.CANCELLING
    # The running child stops; the parent's last child has ended, so the parent ends `cancelled`.
    run_end(run_id=running.pk, from_statuses=[Status.CANCELLING], to_status=Status.CANCELLED)
    parent.refresh_from_db()
    assert parent.status == Status.CANCELLED and parent.message == "2 subtasks: 2 cancelled"


@pytest.mark.django_db
def test_a_retried_parent_does_not_run_again_the_children_that_succeeded():
    job = JobFactory(task_type="test_fanout")
    first = RunFactory(job=job, status=Status.FAILED, args={"children": 2})
    done = RunFactory(job=job, parent=first, status=Status.SUCCESS, task_name="tests.fanout_part", title="part 0",
                      args={"index": 0, "fail": False, "errored": False}, counters={"created": 1})
    RunFactory(job=job, parent=first, status=Status.FAILED, task_name="tests.fanout_part", title="part 1",
               args={"index": 1, "fail": False, "errored": False})
    retry = run_create(job=job, task_args={"children": 2}, trigger=Run.Trigger.RETRY, retry_of=first)
    run_execute(run_id=retry.pk)
    reused, again = _children(retry)
    assert reused.status == Status.SUCCESS and reused.started_at is None
    assert reused.message == f"succeeded in run {done.pk} of an earlier attempt" and reused.counters == {"created": 1}
    assert again.status == Status.QUEUED
    run_execute(run_id=again.pk)
    retry.refresh_from_db()
    assert retry.status == Status.SUCCESS and retry.counters == {"spawned": 2, "created": 1 + 2}


@pytest.mark.django_db
def test_the_reaper_ends_a_waiting_parent_whose_children_all_ended():
    job = JobFactory(task_type="test_fanout")
    parent = RunFactory(job=job, status=Status.RUNNING, awaiting_children=True, counters={"spawned": 1})
    RunFactory(job=job, parent=parent, status=Status.SUCCESS, counters={"created": 4})
    counts = runs_reap()
    parent.refresh_from_db()
    assert counts["parents_ended"] == 1 and counts["lost"] == 0
    assert parent.status == Status.SUCCESS and parent.counters == {"spawned": 1, "created": 4}


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_hundred_children_on_two_worker_processes_lose_no_count(celery_worker):
    job = JobFactory(task_type="test_fanout")
    parent = run_create(job=job, args={"children": 200})
    wait_for(lambda: Run.objects.filter(pk=parent.pk, status__in=Run.FINAL_STATUSES).exists(), timeout=120,
             message="the parent to end after its 200 subtasks")
    parent.refresh_from_db()
    children = Run.objects.filter(parent=parent)
    assert children.count() == 200 and set(children.values_list("status", flat=True)) == {Status.SUCCESS}
    assert parent.status == Status.SUCCESS
    stored = sum(counters["created"] for counters in children.values_list("counters", flat=True))
    assert parent.counters["created"] == sum(range(1, 201)) == stored
    assert (parent.progress_done, parent.progress_total) == (200, 200)
