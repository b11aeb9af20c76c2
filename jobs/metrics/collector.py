"""A ``prometheus_client`` collector that reads the database at scrape time.

Nothing is counted in memory: every process (web, worker, beat) would disagree and a
restart would lose counts. Instead each scrape reads the stored fold and the runs not
folded yet (``jobs.metrics.fold``) and the bounded set of aggregate queries of
``jobs.metrics.queries``, and turns the rows into metric families. Labels: ``job`` is
the job's title, ``job_id`` its id (titles need not be unique), ``type`` its job type.
The per-job families are ``exposition.JobFamily`` (written without the library's
per-sample work); the others are the library's.
"""

from __future__ import annotations

import math
from functools import cache

from django.utils import timezone
from django.utils.module_loading import import_string
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from jobs import conf
from jobs.metrics import fold, queries
from jobs.metrics.exposition import JOB_LABELS, JobFamily, job_labels
from jobs.metrics.totals import Histogram
from jobs.models import Run
from jobs.scheduling import store


@cache
def _bounds(buckets: tuple) -> tuple[str, ...]:
    return (*(str(float(b)) for b in buckets), "+Inf")


def _buckets(hist: Histogram) -> list[tuple[str, int]]:
    """``[(le, cumulative count), ..., ("+Inf", count)]``, as ``HistogramMetricFamily.add_metric`` takes them."""
    return list(zip(_bounds(hist.buckets), [*hist.counts, hist.count], strict=True))


def _histogram(name: str, documentation: str, hist: Histogram) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, documentation, labels=[])
    family.add_metric([], _buckets(hist), hist.total)
    return family


# ("status",) label values of jobsite_job_last_run_status, made once (plain strings, not the enum's members).
_OUTCOME_LABELS = [(str(status), (str(status),)) for status in queries.OUTCOME_STATUSES]


def _job_family(kind, name: str, documentation: str, *extra: str) -> JobFamily:
    return JobFamily(kind(name, documentation, labels=[*JOB_LABELS, *extra]), extra)


def schedule_interval_seconds(job) -> float | None:
    """Seconds between the job's next two due ticks (None when unscheduled, paused or one-off)."""
    upcoming = store.schedule_next_fire_times(job, 2)
    if len(upcoming) < 2:
        return None
    return (upcoming[1] - upcoming[0]).total_seconds()


class JobsCollector(Collector):
    """Runs, durations, waits, last outcomes and active runs, from stored rows."""

    def collect(self):
        jobs = {row["pk"]: row for row in queries.job_rows()}
        labels = job_labels((pk, row["title"], row["task_type"]) for pk, row in jobs.items())
        totals = fold.run_totals()
        yield from self._runs(labels, totals)
        yield from self._jobs(jobs, labels, totals.newest)
        yield from self._active()

    def _runs(self, labels: dict, totals):
        total = _job_family(CounterMetricFamily, "jobsite_runs", "Runs stored, by job, status and trigger.",
                            "status", "trigger")
        total.extend(  # a job created after the jobs were read has no labels yet: left out
            (labels[job_id], (status, trigger), n)
            for (job_id, status, trigger), (n, _missed) in totals.counts.items() if job_id in labels
        )
        yield total
        duration = _job_family(HistogramMetricFamily, "jobsite_run_duration_seconds",
                               "Duration of finished runs (start to end).")
        for job_id, hist in sorted(totals.durations.items()):
            if job_id in labels:
                duration.add(labels[job_id], (), _buckets(hist), hist.total)
        yield duration
        yield _histogram("jobsite_queue_wait_seconds", "Enqueue (or retry time) to start, of started runs.", totals.wait)
        yield _histogram("jobsite_schedule_lateness_seconds", "Schedule tick's due time to start.", totals.late)
        skipped = CounterMetricFamily("jobsite_scheduled_ticks_skipped", "Schedule ticks recorded as skipped.",
                                      labels=["reason"])
        for reason, count in totals.skipped().items():
            skipped.add_metric([reason], count)
        yield skipped

    def _jobs(self, jobs: dict, labels: dict, newest_runs: dict):
        info = _job_family(GaugeMetricFamily, "jobsite_job_active", "1 when the job is active.")
        last_success = _job_family(GaugeMetricFamily, "jobsite_job_last_success_timestamp_seconds",
                                   "End of the job's newest successful run (Unix time).")
        last_status = _job_family(GaugeMetricFamily, "jobsite_job_last_run_status",
                                  "1 for the status of the job's newest finished run (skipped ticks aside).", "status")
        counters = _job_family(GaugeMetricFamily, "jobsite_job_last_run_counter",
                               "Counters of the job's newest finished run (created, updated, ...).", "counter")
        interval = _job_family(GaugeMetricFamily, "jobsite_job_schedule_interval_seconds",
                               "Seconds between the job's next two due ticks (active schedules).")
        for pk, job in jobs.items():
            job_labels = labels[pk]
            info.add(job_labels, (), 1 if job["active"] else 0)
            newest = newest_runs.get(pk)
            if newest is None:
                continue
            if newest.success is not None and newest.success[2] is not None:  # (a success stored without an end)
                last_success.add(job_labels, (), newest.success[2].timestamp())
            if newest.outcome is not None:
                _created, _id, outcome_status, counters_given = newest.outcome
                for status, label in _OUTCOME_LABELS:
                    last_status.add(job_labels, label, 1 if status == outcome_status else 0)
                for name, value in sorted((counters_given or {}).items()):
                    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
                        counters.add(job_labels, (str(name),), value)
        for job in queries.scheduled_jobs():
            seconds = schedule_interval_seconds(job)
            if seconds is not None and job.pk in labels:
                interval.add(labels[job.pk], (), seconds)
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
