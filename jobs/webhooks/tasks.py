"""Thin Celery adapters of the webhooks app; ``jobs.runs.dispatch`` sends them by name."""

from celery import shared_task

from jobs.runs.dispatch import WEBHOOK_DELIVER, WEBHOOKS_RUN
from jobs.webhooks.delivery import delivery_attempt, run_webhooks_deliver


@shared_task(name=WEBHOOKS_RUN, ignore_result=True)
def webhooks_run(run_id: int):
    return run_webhooks_deliver(run_id=run_id)


@shared_task(name=WEBHOOK_DELIVER, ignore_result=True)
def webhook_deliver(delivery_id: int):
    return delivery_attempt(delivery_id=delivery_id)
