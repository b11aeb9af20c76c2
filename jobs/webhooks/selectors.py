"""Which jobs have webhooks, asked on every run's end: a per-process map refreshed every few seconds.

``run_followups`` must cost no query for a job that needs nothing, and adding a column to
``Job`` is not this app's to do. So each process keeps ``{job_id: statuses}`` of the
active webhooks and reloads it (one query for all jobs) when it is older than
``JOBS_WEBHOOK_CACHE_SECONDS`` (5 s by default): the price is that a webhook added or
changed in the admin applies to runs ending in other processes up to that long later.
Saving or deleting a webhook clears this process's copy at once.
"""

from __future__ import annotations

import threading
import time

from django.db.models.signals import post_delete, post_save

from jobs import conf
from jobs.webhooks.models import Webhook

_lock = threading.Lock()
_cache: dict = {"loaded_at": None, "statuses": {}}


def _load() -> dict[int, frozenset]:
    statuses: dict[int, set] = {}
    for job_id, wanted in Webhook.objects.filter(active=True).values_list("job_id", "statuses"):
        statuses.setdefault(job_id, set()).update(wanted or [])
    return {job_id: frozenset(values) for job_id, values in statuses.items()}


def webhook_statuses(job_id: int) -> frozenset:
    """The run statuses that call any active webhook of the job (empty: none)."""
    now = time.monotonic()
    with _lock:
        loaded_at = _cache["loaded_at"]
        if loaded_at is None or now - loaded_at >= conf.get("JOBS_WEBHOOK_CACHE_SECONDS"):
            _cache["statuses"] = _load()
            _cache["loaded_at"] = now
        return _cache["statuses"].get(job_id, frozenset())


def cache_clear(**kwargs) -> None:
    with _lock:
        _cache["loaded_at"] = None


post_save.connect(cache_clear, sender=Webhook, dispatch_uid="jobs_webhooks_cache_save")
post_delete.connect(cache_clear, sender=Webhook, dispatch_uid="jobs_webhooks_cache_delete")
