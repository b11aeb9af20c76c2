"""Webhook deliveries against a local HTTP server: delivery, signature, retry, giving up, timeout."""

import hashlib
import hmac
import json

import pytest
from django.db import transaction

from jobs.models import Run
from jobs.runs.execution import run_execute
from jobs.runs.services import run_create
from jobs.webhooks.delivery import deliveries_create, delivery_attempt
from jobs.webhooks.models import Delivery, Webhook
from tests.conftest import wait_for
from tests.factories import JobFactory, RunFactory
from tests.jobs.webhooks.receiver import Receiver

SECRET = "webhook-secret"


def _signed(call) -> bool:
    expected = "sha256=" + hmac.new(SECRET.encode(), call["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(call["headers"]["X-Jobsite-Signature"], expected)


def _final(run):
    run.refresh_from_db()
    return run.status in Run.FINAL_STATUSES


def _delivery_done(run):
    return Delivery.objects.filter(run=run).exclude(status=Delivery.Status.PENDING).first()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_run_end_calls_the_webhook_in_the_worker_with_a_signed_run(celery_worker):
    job = JobFactory(title="Hooked echo", task_type="test_echo")
    with Receiver() as receiver:
        Webhook.objects.create(job=job, url=receiver.url, statuses=["success"], secret=SECRET)
        Webhook.objects.create(job=job, url=receiver.url + "?failed-only", statuses=["failed"], secret=SECRET)
        with transaction.atomic():
            run = run_create(job=job, args={"lines": 1})
        delivery = wait_for(lambda: _delivery_done(run), message="the delivery")
        assert len(receiver.calls) == 1  # only the webhook that wants "success"
    call = receiver.calls[0]
    assert _signed(call)
    assert call["headers"]["Content-Type"] == "application/json"
    payload = json.loads(call["body"])
    run.refresh_from_db()
    assert payload["event"] == "run.ended"
    assert payload["run"]["id"] == run.pk and payload["run"]["status"] == "success"
    assert (payload["run"]["job"], payload["run"]["job_title"], payload["run"]["job_type"]) == (job.pk, "Hooked echo", "test_echo")
    assert payload["run"]["url"].endswith(f"/admin/jobs/run/{run.pk}/change/")
    assert payload["text"].startswith("✅ Hooked echo: run") and "success" in payload["text"]
    assert delivery.status == Delivery.Status.DELIVERED
    assert (delivery.attempts, delivery.response_status, delivery.response_body) == (1, 200, "ok")
    assert call["body"].decode() == delivery.body


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_retry_after_a_500(celery_worker):
    job = JobFactory(task_type="test_echo")
    with Receiver(answers=[(500, "down", 0), (200, "thanks", 0)]) as receiver:
        Webhook.objects.create(job=job, url=receiver.url, statuses=["success"], secret=SECRET)
        with transaction.atomic():
            run = run_create(job=job, args={"lines": 1})
        delivery = wait_for(lambda: _delivery_done(run), message="the delivery")
    assert len(receiver.calls) == 2
    assert receiver.calls[0]["body"] == receiver.calls[1]["body"]  # the same bytes, the same signature
    assert all(_signed(call) for call in receiver.calls)
    assert (delivery.status, delivery.attempts, delivery.response_status) == (Delivery.Status.DELIVERED, 2, 200)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_gives_up_after_max_attempts_and_the_run_keeps_its_outcome(celery_worker, settings):
    attempts = settings.JOBS_WEBHOOK_MAX_ATTEMPTS  # the worker reads the same test settings
    job = JobFactory(task_type="test_echo")
    with Receiver(answers=[(503, "still down", 0)]) as receiver:
        Webhook.objects.create(job=job, url=receiver.url, statuses=["success"], secret=SECRET)
        with transaction.atomic():
            run = run_create(job=job, args={"lines": 1})
        delivery = wait_for(lambda: _delivery_done(run), timeout=60, message="the delivery to give up")
        assert len(receiver.calls) == attempts
    assert (delivery.status, delivery.attempts, delivery.response_status) == (Delivery.Status.FAILED, attempts, 503)
    assert delivery.response_body == "still down"
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCESS


@pytest.mark.django_db
def test_timeout_is_recorded(settings):
    settings.JOBS_WEBHOOK_TIMEOUT_SECONDS = 0.3
    settings.JOBS_WEBHOOK_MAX_ATTEMPTS = 1  # no retry to send: the attempt is made here
    run = RunFactory(status=Run.Status.FAILED, message="boom")
    with Receiver(answers=[(200, "late", 2)]) as receiver:
        Webhook.objects.create(job=run.job, url=receiver.url, statuses=["failed"], secret=SECRET)
        [delivery] = deliveries_create(run_id=run.pk)
        assert delivery_attempt(delivery_id=delivery.pk) == Delivery.Status.FAILED
    delivery.refresh_from_db()
    assert delivery.error == "timed out after 0.3 s"
    assert delivery.response_status is None and delivery.attempts == 1


@pytest.mark.django_db
def test_private_address_refused_at_delivery_and_in_the_form(settings):
    settings.JOBS_WEBHOOK_ALLOW_PRIVATE = False
    run = RunFactory(status=Run.Status.SUCCESS)
    with Receiver() as receiver:
        webhook = Webhook.objects.create(job=run.job, url=receiver.url, statuses=["success"], secret=SECRET)
        [delivery] = deliveries_create(run_id=run.pk)
        assert delivery_attempt(delivery_id=delivery.pk) == Delivery.Status.FAILED
        assert receiver.calls == []
    delivery.refresh_from_db()
    assert delivery.error == "refused: 127.0.0.1: 127.0.0.1 is a loopback address"
    with pytest.raises(Exception, match="loopback"):
        webhook.full_clean()


@pytest.mark.django_db
def test_a_delivery_is_made_once_per_attempt():
    run = RunFactory(status=Run.Status.SUCCESS)
    with Receiver() as receiver:
        Webhook.objects.create(job=run.job, url=receiver.url, statuses=["success"], secret=SECRET)
        [delivery] = deliveries_create(run_id=run.pk)
        assert deliveries_create(run_id=run.pk) == []  # a redelivered task message creates nothing
        assert delivery_attempt(delivery_id=delivery.pk) == Delivery.Status.DELIVERED
        assert delivery_attempt(delivery_id=delivery.pk) is None  # a redelivered message changes nothing
    assert len(receiver.calls) == 1
    assert Delivery.objects.filter(run=run).count() == 1


@pytest.mark.django_db
def test_in_process_run_end_sends_the_webhook_task(monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr("jobs.webhooks.listener.webhooks_run_send", lambda run_id: sent.append(run_id))
    job = JobFactory(task_type="test_fail")
    Webhook.objects.create(job=job, url="http://127.0.0.1:9/hook", statuses=["failed"], secret=SECRET)
    run = run_create(job=job, enqueue=False)
    with django_capture_on_commit_callbacks(execute=True):
        run_execute(run_id=run.pk)
    assert sent == [run.pk]
