"""The webhooks' end listener: a run that ends in a status some webhook of its job wants is sent to the worker."""

from __future__ import annotations

from django.db import transaction

from jobs.models import Run
from jobs.runs.dispatch import webhooks_run_send
from jobs.webhooks.selectors import webhook_statuses


class WebhookListener:
    def wants(self, status: str, job_id: int) -> bool:
        # A per-process map refreshed every few seconds: no query for a job without webhooks.
        return status in webhook_statuses(job_id)

    def ended(self, run: Run) -> None:
        run_id = run.pk
        transaction.on_commit(lambda: webhooks_run_send(run_id=run_id))

    def __eq__(self, other):
        return isinstance(other, WebhookListener)

    def __hash__(self):
        return hash(WebhookListener)
