"""A ``prometheus_client`` collector that reads the database at scrape time.

Nothing is counted in memory: every process (web, worker, beat) would disagree and a
restart would lose counts. Instead each scrape runs the bounded set of aggregate queries
of ``jobs.metrics.queries`` and turns the rows into metric families. Labels: ``job`` is
the job's title, ``job_id`` its id (titles need not be unique), ``type`` its job type.
"""

from __future__ import annotations

import math
from collections import defaultdict

from django.utils import timezone
from django.utils.module_loading import import_string
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from jobs import conf
from jobs.metrics import history, queries
from jobs.models import Run
from jobs.scheduling import store

JOB_LABELS = ["job", "job_id", "type"]


def _job_labels(job) -> list[str]:
    return [job.title, str(job.pk), job.task_type]


def _histogram(name: str, documentation: str, labels: list[str]):
    return HistogramMetricFamily(name, documentation, labels=labels)


def _add_histogram(family, values: list[str], hist: queries.Histogram):
    bounds = [*(str(float(b)) for b in hist.buckets), "+Inf"]
    counts = [*(hist.counts or [0] * len(hist.buckets)), hist.count]
    family.add_metric(values, list(zip(bounds, counts, strict=True)), hist.total)


def schedule_interval_seconds(job) -> float | None:
    """Seconds between the job's next two due ticks (None when unscheduled, paused or one-off)."""
    upcoming = store.schedule_next_fire_times(job, 2)
    if len(upcoming) < 2:
        return None
    return (upcoming[1] - upcoming[0]).total_seconds()


class JobsCollector(Collector):
    """Runs, durations, waits, last outcomes and active runs, from stored rows."""

    def collect(self):
        jobs = {job.pk: job for job in queries.job_rows()}
        rows = history.run_rows_now()
        yield from self._runs(jobs, rows)
        yield from self._jobs(jobs)
        yield from self._active()

    def _runs(self, jobs, rows):
        total = CounterMetricFamily(
            "jobsite_runs", "Runs stored, by job, status and trigger.", labels=[*JOB_LABELS, "status", "trigger"]
        )
        skipped = CounterMetricFamily("jobsite_scheduled_ticks_skipped", "Schedule ticks recorded as skipped.", labels=["reason"])
        durations = defaultdict(lambda: queries.Histogram(queries.DURATION_BUCKETS))
        wait = queries.Histogram(queries.WAIT_BUCKETS)
        late = queries.Histogram(queries.WAIT_BUCKETS)
        reasons = {"missed": 0, "overlap": 0}
        for row in rows:
            job = jobs.get(row["job_id"])
            if job is None:  # created after the jobs were read
                continue
            total.add_metric([*_job_labels(job), row["status"], row["trigger"]], row["n"])
            durations[row["job_id"]].add(row, "duration")
            wait.add(row, "wait")
            late.add(row, "late")
            if row["status"] == Run.Status.SKIPPED:
                reasons["missed"] += row["missed"]
                reasons["overlap"] += row["n"] - row["missed"]
        yield total
        duration = _histogram("jobsite_run_duration_seconds", "Duration of finished runs (start to end).", JOB_LABELS)
        for job_id, hist in sorted(durations.items()):
            _add_histogram(duration, _job_labels(jobs[job_id]), hist)
        yield duration
        family = _histogram("jobsite_queue_wait_seconds", "Enqueue (or retry time) to start, of started runs.", [])
        _add_histogram(family, [], wait)
        yield family
        family = _histogram("jobsite_schedule_lateness_seconds", "Schedule tick's due time to start.", [])
        _add_histogram(family, [], late)
        yield family
        for reason, count in reasons.items():
            skipped.add_metric([reason], count)
        yield skipped

    def _jobs(self, jobs):
        last_success = GaugeMetricFamily(
            "jobsite_job_last_success_timestamp_seconds", "End of the job's newest successful run (Unix time).",
            labels=JOB_LABELS,
        )
        last_status = GaugeMetricFamily(
            "jobsite_job_last_run_status", "1 for the status of the job's newest finished run (skipped ticks aside).",
            labels=[*JOB_LABELS, "status"],
        )
        counters = GaugeMetricFamily(
            "jobsite_job_last_run_counter", "Counters of the job's newest finished run (created, updated, ...).",
            labels=[*JOB_LABELS, "counter"],
        )
        interval = GaugeMetricFamily(
            "jobsite_job_schedule_interval_seconds", "Seconds between the job's next two due ticks (active schedules).",
            labels=JOB_LABELS,
        )
        info = GaugeMetricFamily("jobsite_job_active", "1 when the job is active.", labels=JOB_LABELS)
        for job in jobs.values():
            labels = _job_labels(job)
            info.add_metric(labels, 1 if job.active else 0)
            if job.last_success_at is not None:
                last_success.add_metric(labels, job.last_success_at.timestamp())
            if job.last_outcome_status is not None:
                for status in queries.OUTCOME_STATUSES:
                    last_status.add_metric([*labels, status], 1 if status == job.last_outcome_status else 0)
            for name, value in sorted((job.last_outcome_counters or {}).items()):
                if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
                    counters.add_metric([*labels, str(name)], value)
            seconds = schedule_interval_seconds(job)
            if seconds is not None:
                interval.add_metric(labels, seconds)
        yield from (info, last_success, last_status, counters, interval)

    def _active(self):
        now = timezone.now()
        active = GaugeMetricFamily("jobsite_runs_active", "Runs queued, running or cancelling.", labels=["status"])
        oldest = GaugeMetricFamily(
            "jobsite_runs_active_oldest_age_seconds", "Age of the oldest active run, by status.", labels=["status"]
        )
        heartbeat = GaugeMetricFamily(
            "jobsite_runs_heartbeat_age_max_seconds", "Seconds since the stalest heartbeat of a running run.", labels=[]
        )
        rows = {row["status"]: row for row in queries.active_rows()}
        for status in Run.ACTIVE_STATUSES:
            row = rows.get(status)
            active.add_metric([status], row["n"] if row else 0)
            oldest.add_metric([status], (now - row["oldest"]).total_seconds() if row else 0)
        running = rows.get(Run.Status.RUNNING)
        stalest = running["stalest"] if running else None
        heartbeat.add_metric([], (now - stalest).total_seconds() if stalest else 0)
        yield from (active, oldest, heartbeat)


def registry_build() -> CollectorRegistry:
    """A registry with the jobs collector and the collectors named in ``JOBS_METRICS_COLLECTORS``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(JobsCollector())
    for path in conf.get("JOBS_METRICS_COLLECTORS"):
        registry.register(import_string(path)())
    return registry
