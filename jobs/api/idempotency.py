"""``Idempotency-Key`` of run requests: the same key of the same user within 24 h returns the first run.

The key and its run are stored in the transaction that creates the run. Two requests
with one key at the same time both try to insert it; the unique constraint makes the
second wait for the first and fail, its run is rolled back (never sent: the broker send
waits for the commit) and it answers with the first one's run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone

from jobs.api.errors import Conflict
from jobs.api.models import IdempotencyKey
from jobs.models import Job, Run

logger = logging.getLogger(__name__)

KEY_LIFETIME = dt.timedelta(hours=24)
KEY_MAX_LENGTH = 200


def _replay(*, user, key: str, job: Job) -> Run | None:
    found = IdempotencyKey.objects.select_related("run").filter(user=user, key=key).first()
    if found is None:
        return None
    if found.created_at <= timezone.now() - KEY_LIFETIME:
        IdempotencyKey.objects.filter(pk=found.pk, created_at=found.created_at).delete()
        return None
    if found.run.job_id != job.pk:
        raise Conflict(f"Idempotency-Key {key!r} was used for a run of job {found.run.job_id}.", code="idempotency_key_reused")
    return found.run


def run_create_idempotent(*, user, key: str, job: Job, create: Callable[[], Run]) -> tuple[Run, bool]:
    """Return ``(run, replayed)``: the run ``key`` created within 24 h, or a new one from ``create()``."""
    run = _replay(user=user, key=key, job=job)
    if run is not None:
        return run, True
    try:
        with transaction.atomic():
            run = create()
            IdempotencyKey.objects.create(user=user, key=key, run=run)
    except IntegrityError:
        run = _replay(user=user, key=key, job=job)
        if run is None:
            raise
        logger.info("idempotent_replay key=%s run_id=%s concurrent=true", key, run.pk)
        return run, True
    return run, False
