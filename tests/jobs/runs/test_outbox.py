"""The run outbox: a run the broker refused stays queued, waits, and is sent once when it is back."""

import pytest
import redis
from django.conf import settings

from jobs.models import Run
from jobs.runs.dispatch import WAITING_FOR_BROKER, run_enqueue
from jobs.runs.outbox import outbox_drain
from jobs.runs.services import run_create, run_create_once
from tests.brokers import broker_at, free_port
from tests.factories import JobFactory

QUEUE = "jobsite-test-outbox"


@pytest.fixture
def outbox_queue():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(QUEUE)
    yield client
    client.delete(QUEUE)


@pytest.mark.django_db
def test_a_refused_run_waits_and_is_sent_once_when_the_broker_is_back(outbox_queue, django_capture_on_commit_callbacks):
    job = JobFactory(task_type="test_echo", queue=QUEUE)
    with broker_at(f"redis://127.0.0.1:{free_port()}/0"), django_capture_on_commit_callbacks(execute=True):
        run = run_create(job=job, args={})
    run.refresh_from_db()
    assert (run.status, run.message, run.sent_at) == (Run.Status.QUEUED, WAITING_FOR_BROKER, None)
    assert outbox_queue.llen(QUEUE) == 0

    assert outbox_drain(queues=["some-other-queue"]) == 0
    assert outbox_drain(queues=[QUEUE]) == 1
    run.refresh_from_db()
    assert run.message == "" and run.sent_at is not None
    assert outbox_drain(queues=[QUEUE]) == 0
    assert run_enqueue(run=run) is False  # a second send of the same run is refused
    assert outbox_queue.llen(QUEUE) == 1


@pytest.mark.django_db
def test_a_run_sent_at_creation_is_not_the_outboxs(outbox_queue, django_capture_on_commit_callbacks):
    job = JobFactory(task_type="test_echo", queue=QUEUE)
    with django_capture_on_commit_callbacks(execute=True):
        run = run_create(job=job, args={})
    foreground = run_create(job=job, args={}, enqueue=False)
    assert outbox_drain(queues=[QUEUE]) == 0
    assert Run.objects.get(pk=run.pk).sent_at is not None and foreground.sent_at is not None
    assert outbox_queue.llen(QUEUE) == 1


@pytest.mark.django_db
def test_a_resubmitted_token_returns_the_first_run():
    job = JobFactory(task_type="test_echo", queue=QUEUE)
    first, created = run_create_once(request_token="a" * 32, job=job, args={}, enqueue=False)
    again, created_again = run_create_once(request_token="a" * 32, job=job, args={"lines": 9}, enqueue=False)
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert Run.objects.filter(job=job).count() == 1
