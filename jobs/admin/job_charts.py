"""The job page's monitoring panels: durations of the last 100 runs, counters over time, webhooks and deliveries.

Three queries whatever the job's history: the newest runs (only the columns charted),
the job's webhooks and their newest deliveries. Chart data goes to the template as JSON
(``json_script``); ``jobs/static/jobs/charts.js`` draws it (no inline script).
"""

from __future__ import annotations

import statistics

from django.urls import reverse

from jobs.models import Job, Run
from jobs.webhooks.models import Delivery, Webhook

CHART_RUNS = 100
DELIVERIES_SHOWN = 10


def duration_chart(runs: list[Run]) -> dict:
    """Bars (oldest first) of finished runs that started: seconds, status, link; and their median."""
    bars = [
        {
            "id": run.pk,
            "seconds": round((run.finished_at - run.started_at).total_seconds(), 3),
            "status": run.status,
            "label": f"#{run.pk} {run.created_at:%Y-%m-%d %H:%M}",
            "url": reverse("admin:jobs_run_change", args=[run.pk]),
        }
        for run in reversed(runs)
        if run.started_at and run.finished_at
    ]
    median = statistics.median([bar["seconds"] for bar in bars]) if bars else None
    return {"bars": bars, "median": median}


def counters_chart(runs: list[Run]) -> dict:
    """Numeric counters of finished runs (oldest first), one series per counter name; empty without counters."""
    points = [run for run in reversed(runs) if run.status in Run.FINAL_STATUSES and run.counters]
    names = sorted({name for run in points for name, value in run.counters.items() if isinstance(value, int | float)})
    if not names:
        return {}
    return {
        "labels": [f"#{run.pk} {run.created_at:%Y-%m-%d %H:%M}" for run in points],
        "urls": [reverse("admin:jobs_run_change", args=[run.pk]) for run in points],
        "series": {name: [run.counters.get(name, 0) for run in points] for name in names},
    }


def job_monitoring_context(job: Job) -> dict:
    runs = list(
        Run.objects.top_level().filter(job=job).order_by("-created_at", "-pk")
        .only("pk", "job_id", "status", "created_at", "started_at", "finished_at", "counters")[:CHART_RUNS]
    )
    deliveries = list(
        Delivery.objects.filter(webhook__job=job).select_related("webhook").order_by("-created_at", "-pk")
        .defer("body")[:DELIVERIES_SHOWN]
    )
    return {
        "webhooks": list(Webhook.objects.filter(job=job).order_by("pk")),
        "webhook_add_url": reverse("admin:jobs_webhooks_webhook_add") + f"?job={job.pk}",
        "duration_chart": duration_chart(runs),
        "counters_chart": counters_chart(runs),
        "webhook_deliveries": deliveries,
        "deliveries_url": reverse("admin:jobs_webhooks_delivery_changelist"),
    }
