"""A manual run (the admin's Run now) under its job's overlap policy, unless the operator says "run anyway".

Scheduled ticks have always obeyed the policy (``jobs.scheduling.firing``); a manual run
does too, decided under a lock on the job's row so that simultaneous clicks are decided
one at a time: with a run of the job still active, *skip* refuses the new run
(``RunOverlaps``, nothing stored), *queue* stores it held behind the active one (at most
one waits; a second is refused), *replace* cancels the active run and starts the new
one, *allow* starts it. ``run_anyway`` starts it whatever the policy says.
"""

from __future__ import annotations

import logging

from django.db import transaction

from jobs.exceptions import RunOverlaps
from jobs.models import Job, Run
from jobs.runs.cancel import run_cancel
from jobs.runs.services import run_create_once

logger = logging.getLogger(__name__)
Policy = Job.OverlapPolicy


def run_manual_create(*, job: Job, run_anyway: bool = False, request_token: str | None = None, **kwargs) -> tuple[Run, bool]:
    """Create a manual run as the job's overlap policy allows; (the run, whether it is new).

    ``kwargs`` go to ``run_create``. Raises ``RunOverlaps`` when the policy refuses it.
    """
    with transaction.atomic():
        Job.objects.select_for_update().filter(pk=job.pk).values_list("pk", flat=True).first()
        if request_token and (earlier := Run.objects.filter(request_token=request_token).first()) is not None:
            return earlier, False
        if not run_anyway and job.overlap_policy != Policy.ALLOW:
            kwargs = _policy_apply(job, kwargs)
        return run_create_once(request_token=request_token, job=job, **kwargs)


def _policy_apply(job: Job, kwargs: dict) -> dict:
    active = list(Run.objects.active().filter(job=job).order_by("created_at", "pk"))
    running = [run for run in active if not run.held]
    if not running:
        return kwargs
    first = running[0]
    if job.overlap_policy == Policy.SKIP:
        raise RunOverlaps(
            f"Run {first.pk} of this job is still {first.status} and its overlap policy is \"skip\": "
            "no run was started. Use \"Run anyway\" to start one all the same.",
            active_run_id=first.pk,
        )
    if job.overlap_policy == Policy.QUEUE:
        waiting = [run for run in active if run.held]
        if waiting:
            raise RunOverlaps(
                f"Run {waiting[0].pk} already waits for run {first.pk} (overlap policy \"queue\"): "
                "no run was started. Use \"Run anyway\" to start one all the same.",
                active_run_id=first.pk,
            )
        return {**kwargs, "hold": True, "message": f"waiting for run {first.pk} to end"}
    for run in active:  # replace
        run_cancel(run=run)
        logger.info("run_replaced run_id=%s job_id=%s", run.pk, job.pk)
    return kwargs
