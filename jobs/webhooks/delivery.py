"""Calling a webhook: one attempt per call, compare-and-set on the attempt count, retries with backoff.

Runs in the worker (``jobs/webhooks/tasks.py``). Whatever the receiver does (an error
status, a timeout, a refused connection, a URL that now resolves to a private address),
the delivery records it and the run is never touched.
"""

from __future__ import annotations

import datetime as dt
import logging

import requests
from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from jobs import conf
from jobs.models import Run
from jobs.runs.dispatch import webhook_retry_send
from jobs.webhooks.guard import host_addresses, url_refusal
from jobs.webhooks.models import Delivery, Webhook
from jobs.webhooks.payload import SIGNATURE_HEADER, body_build, signature

logger = logging.getLogger(__name__)
RESPONSE_KEEP = 2000  # characters of the receiver's answer kept for the job page
USER_AGENT = "Jobsite-Webhook/1"


def run_admin_url(run: Run) -> str:
    return settings.JOBSITE_BASE_URL + reverse("admin:jobs_run_change", args=[run.pk])


def deliveries_create(*, run_id: int) -> list[Delivery]:
    """One pending delivery per active webhook of the run's job that wants the run's status; return the new ones."""
    run = Run.objects.select_related("job", "started_by").filter(pk=run_id).first()
    if run is None or run.status not in Run.FINAL_STATUSES:
        return []
    webhooks = [w for w in Webhook.objects.filter(job_id=run.job_id, active=True) if run.status in (w.statuses or [])]
    if not webhooks:
        return []
    body = body_build(run, url=run_admin_url(run))
    created = []
    for webhook in webhooks:  # a redelivered message finds its deliveries made and creates none
        delivery, new = Delivery.objects.get_or_create(webhook=webhook, run=run, defaults={"body": body})
        if new:
            created.append(delivery)
    keep = conf.get("JOBS_WEBHOOK_KEEP_DELIVERIES")
    for webhook in webhooks:
        old = Delivery.objects.filter(webhook=webhook).order_by("-created_at", "-pk").values_list("pk", flat=True)[keep:]
        Delivery.objects.filter(pk__in=list(old)).exclude(status=Delivery.Status.PENDING).delete()
    return created

def _post(webhook: Webhook, delivery: Delivery) -> tuple[int | None, str, str]:
    """POST the body; return (HTTP status or None, the answer's start, the error)."""
    reason = url_refusal(webhook.url, host_addresses(webhook.url), allow_private=conf.get("JOBS_WEBHOOK_ALLOW_PRIVATE"))
    if reason:
        return None, "", f"refused: {reason}"
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature(webhook.secret, body),
        "X-Jobsite-Delivery": str(delivery.pk),
        "X-Jobsite-Event": "run.ended",
    }
    try:
        with requests.post(
            webhook.url, data=body, headers=headers, timeout=conf.get("JOBS_WEBHOOK_TIMEOUT_SECONDS"),
            allow_redirects=False, stream=True,
        ) as response:
            answer = next(response.iter_content(RESPONSE_KEEP * 2, decode_unicode=False), b"")
            return response.status_code, answer.decode("utf-8", "replace")[:RESPONSE_KEEP], ""
    except requests.Timeout:
        return None, "", f"timed out after {conf.get('JOBS_WEBHOOK_TIMEOUT_SECONDS')} s"
    except requests.RequestException as exc:
        return None, "", f"{type(exc).__name__}: {exc}"[:RESPONSE_KEEP]


def _retriable(status: int | None, error: str) -> bool:
    if error.startswith("refused:"):
        return False
    return status is None or status == 429 or status >= 500


def delivery_attempt(*, delivery_id: int) -> str | None:
    """Make the next attempt of a pending delivery; return its status afterwards (None if not ours)."""
    delivery = Delivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != Delivery.Status.PENDING:
        return None
    attempt = delivery.attempts + 1
    claimed = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING, attempts=delivery.attempts).update(
        attempts=F("attempts") + 1, last_attempt_at=timezone.now(), next_attempt_at=None
    )
    if not claimed:  # another worker made this attempt (a redelivered message)
        return None
    status, answer, error = _post(delivery.webhook, delivery)
    fields = {"response_status": status, "response_body": answer, "error": error}
    if status is not None and 200 <= status < 300:
        fields["status"] = Delivery.Status.DELIVERED
    elif _retriable(status, error) and attempt < conf.get("JOBS_WEBHOOK_MAX_ATTEMPTS"):
        countdown = conf.get("JOBS_WEBHOOK_BACKOFF_SECONDS") * 2 ** (attempt - 1)
        fields["next_attempt_at"] = timezone.now() + dt.timedelta(seconds=countdown)
        Delivery.objects.filter(pk=delivery.pk).update(**fields)
        webhook_retry_send(delivery_id=delivery.pk, countdown=countdown)
        logger.info("webhook_retry delivery_id=%s attempt=%s status=%s countdown=%s", delivery.pk, attempt, status, countdown)
        return Delivery.Status.PENDING
    else:
        fields["status"] = Delivery.Status.FAILED
    Delivery.objects.filter(pk=delivery.pk).update(**fields)
    log = logger.info if fields["status"] == Delivery.Status.DELIVERED else logger.warning
    log("webhook_%s delivery_id=%s run_id=%s attempt=%s status=%s error=%s",
        fields["status"], delivery.pk, delivery.run_id, attempt, status, error)
    return fields["status"]


def run_webhooks_deliver(*, run_id: int) -> list[str | None]:
    """Create the run's deliveries and make their first attempts."""
    return [delivery_attempt(delivery_id=d.pk) for d in deliveries_create(run_id=run_id)]
