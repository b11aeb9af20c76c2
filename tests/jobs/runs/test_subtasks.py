"""Subtasks: child runs fanned out over workers, their parent ending from their outcomes."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from jobs.models import Run
from jobs.runs import ending
from jobs.runs.cancel import run_cancel
from jobs.runs.ending import run_end
from jobs.runs.execution import run_execute
from jobs.runs.reaper import runs_reap
from jobs.runs.services import run_create
from tests.conftest import in_threads, wait_for
from tests.factories import JobFactory, RunFactory
from tests.jobtypes import FanOut

Status = Run.Status


def _parent(job=None, **args) -> Run:
    job = job or JobFactory(task_type="test_fanout")
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
    assert not _then(parent)  # not started before the last child
    run_execute(run_id=last.pk)
    parent.refresh_from_db()
    # The last child's end only started the step after the subtasks: a run of its own, sent on commit.
    (then,) = _then(parent)
    children_ok = not args.get("fail")
    assert (then.status, then.task_name, then.title) == (Status.QUEUED, "tests.fanout_then", "after the subtasks")
    assert then.args == {"raises": args["then"] == "raises", "children_ok": children_ok}
    assert parent.status == Status.RUNNING and parent.message == "2 subtasks ended; then tests.fanout_then"
    run_execute(run_id=then.pk)
    parent.refresh_from_db()
    assert (parent.status, parent.message) == (status, message)
    assert (parent.progress_done, parent.progress_total) == (2, 2)


def _then(parent: Run) -> list[Run]:
    return list(Run.objects.filter(parent=parent, trigger=Run.Trigger.FINALLY))


@pytest.mark.django_db
def test_a_cancelled_parent_does_not_start_the_task_after_its_children():
    parent = _parent(children=2, then="returns")
    run_cancel(run=parent)
    parent.refresh_from_db()
    assert parent.status == Status.CANCELLED and parent.message == "2 subtasks: 2 cancelled"
    assert not _then(parent)


@pytest.mark.django_db
def test_cancelling_a_parent_cancels_the_task_after_its_children():
    parent = _parent(children=1, then="returns")
    run_execute(run_id=_children(parent)[0].pk)
    (then,) = _then(parent)
    run_cancel(run=parent)
    then.refresh_from_db()
    parent.refresh_from_db()
    assert then.status == Status.CANCELLED
    assert parent.status == Status.CANCELLED and parent.message.endswith("(1 subtasks: 1 success)")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_last_children_ending_at_once_start_the_task_after_them_once(celery_worker, monkeypatch):
    job = JobFactory(task_type="test_fanout")
    parent = RunFactory(job=job, status=Status.RUNNING, awaiting_children=True, then_task="tests.fanout_then",
                        then_args={"raises": False})
    children = [RunFactory(job=job, parent=parent, status=Status.RUNNING, trigger=Run.Trigger.SUBTASK,
                           counters={"created": n}) for n in (1, 2)]
    both_set = threading.Barrier(2)
    transition = ending.run_transition

    def set_then_wait(**kwargs):
        changed = transition(**kwargs)
        both_set.wait(timeout=10)  # each child is final in its own open transaction before either locks the parent
        return changed

    monkeypatch.setattr(ending, "run_transition", set_then_wait)
    ended = []

    def end(child):
        try:
            with transaction.atomic():  # as in run_execute: a child's end and its parent's share one commit
                ended.append(run_end(run_id=child.pk, from_statuses=[Status.RUNNING], to_status=Status.SUCCESS))
        finally:
            connection.close()

    in_threads(end, [(child,) for child in children])
    assert ended == [True, True]
    wait_for(lambda: Run.objects.filter(pk=parent.pk, status__in=Run.FINAL_STATUSES).exists(), timeout=60,
             message="the parent to end after the task after its children")
    parent.refresh_from_db()
    (then,) = _then(parent)
    assert then.status == Status.SUCCESS and then.args == {"raises": False, "children_ok": True}
    assert parent.status == Status.SUCCESS
    assert parent.message == "joined (children_ok=True) (2 subtasks: 2 success)"
    assert parent.counters == {"created": 3}


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


def _stale(**fields) -> dict:
    """A running run whose worker was killed two minutes ago (no heartbeat since)."""
    lost_at = timezone.now() - dt.timedelta(minutes=2)
    return {"status": Status.RUNNING, "started_at": lost_at, "heartbeat_at": lost_at, **fields}


@pytest.mark.django_db
def test_the_reaper_fails_a_lost_child_and_its_parent_ends_from_its_children(settings):
    settings.JOBS_LOST_RUN_SECONDS = 60
    parent = _parent(children=3)
    first, lost, last = _children(parent)
    run_execute(run_id=first.pk)
    run_execute(run_id=last.pk)
    Run.objects.filter(pk=lost.pk).update(**_stale(counters={"created": 7}))
    counts = runs_reap()
    lost.refresh_from_db()
    parent.refresh_from_db()
    assert counts["lost"] == 1 and lost.status == Status.FAILED and lost.message.startswith("worker lost")
    assert parent.status == Status.PARTIAL_SUCCESS and parent.message == "3 subtasks: 1 failed, 2 success"
    assert parent.counters == {"spawned": 3, "created": 1 + 7 + 3}


@pytest.mark.django_db
def test_the_reaper_fails_a_lost_task_after_the_children_and_the_parent_fails(settings):
    settings.JOBS_LOST_RUN_SECONDS = 60
    parent = _parent(children=1, then="returns")
    run_execute(run_id=_children(parent)[0].pk)
    (then,) = _then(parent)
    Run.objects.filter(pk=then.pk).update(**_stale())
    assert runs_reap()["lost"] == 1
    parent.refresh_from_db()
    assert parent.status == Status.FAILED and parent.message.startswith("worker lost: no heartbeat since ")
    assert parent.message.endswith("(1 subtasks: 1 success)")


@pytest.mark.django_db
def test_the_reaper_fails_a_parent_lost_while_spawning_and_cancels_its_queued_children(settings):
    settings.JOBS_LOST_RUN_SECONDS = 60
    job = JobFactory(task_type="test_fanout")
    parent = RunFactory(job=job, **_stale())  # its task never returned: not waiting for its children
    running = RunFactory(job=job, parent=parent, trigger=Run.Trigger.SUBTASK, status=Status.RUNNING,
                         heartbeat_at=timezone.now())
    queued = RunFactory(job=job, parent=parent, trigger=Run.Trigger.SUBTASK, status=Status.QUEUED)
    assert runs_reap()["lost"] == 1
    for run in (parent, running, queued):
        run.refresh_from_db()
    assert parent.status == Status.FAILED and parent.message.startswith("worker lost")
    assert queued.status == Status.CANCELLED and running.status == Status.RUNNING  # a running child finishes


@pytest.mark.django_db
def test_the_job_types_chain_end_comes_once_the_last_attempt_has_ended(chain_ends):
    FanOut.chains_ended.clear()
    job = JobFactory(task_type="test_fanout", max_retries=1)
    with chain_ends():
        first = _parent(job, children=2, fail=[0, 1])
        for child in _children(first):
            run_execute(run_id=child.pk)
    first.refresh_from_db()
    assert first.status == Status.FAILED and Run.objects.filter(retry_of=first).exists()
    assert FanOut.chains_ended == []  # a retry is pending
    retry = Run.objects.get(retry_of=first)
    with chain_ends():
        run_execute(run_id=retry.pk)
        for child in _children(retry):
            run_execute(run_id=child.pk)
    retry.refresh_from_db()
    assert retry.status == Status.FAILED and not Run.objects.filter(retry_of=retry).exists()
    assert FanOut.chains_ended == [[retry.pk, first.pk]]


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
