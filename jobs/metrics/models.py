"""The stored fold behind ``/metrics``: ended runs' totals, shared by every process.

The ended runs below ``FoldState.watermark`` are counted in ``RunCount`` (per job, status
and trigger) and ``HistogramFold`` (each job's durations; queue wait and lateness over
all jobs), each job's newest success and outcome in ``JobOutcome``: what
``totals.RunTotals`` holds, stored. ``FoldState`` is one row: the
watermark, the runs below it that were still active when folded (``pending``), when the
fold last moved and the bucket bounds it was counted with.
``RunGone`` receives, from a PostgreSQL trigger on ``jobs_run`` (migration 0001), the
folded runs that a delete removed (a purge, a deleted job), so the next fold takes them
out again. ``jobs/metrics/fold.py`` reads and writes these tables; SQLite never folds.
"""

from __future__ import annotations

from django.db import models

# Upper bounds (seconds) of the histograms' buckets; +Inf is added by the collector.
DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400)
WAIT_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 600, 1800, 3600)
# Histogram name -> bounds; ``<name>_le_<i>`` counts the runs at most ``bounds[i]`` (cumulative).
HISTOGRAMS = {"duration": DURATION_BUCKETS, "wait": WAIT_BUCKETS, "late": WAIT_BUCKETS}
STATE_ID = 1


class RunCount(models.Model):
    """Folded runs of one (job, status, trigger): how many, and how many were skipped ticks recorded as missed."""

    job_id = models.BigIntegerField()  # no foreign key: a deleted job's runs leave through ``RunGone``
    status = models.CharField(max_length=20)
    trigger = models.CharField(max_length=20)
    n = models.BigIntegerField(default=0)
    missed = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job_id", "status", "trigger"], name="runcount_one_per_key")]

    def __str__(self):
        return f"{self.n} runs of job {self.job_id} ({self.status}, {self.trigger})"


class HistogramFold(models.Model):
    """A histogram of the folded runs: a job's durations, or (``job_id`` 0) every run's queue wait or lateness."""

    name = models.CharField(max_length=20)  # a key of HISTOGRAMS
    job_id = models.BigIntegerField()
    counts = models.JSONField(default=list)  # cumulative, one per bound of HISTOGRAMS[name]
    count = models.BigIntegerField(default=0)
    total = models.FloatField(default=0.0)  # seconds

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "job_id"], name="histogramfold_one_per_job")]

    def __str__(self):
        return f"{self.name} of job {self.job_id}: {self.count}"


class JobOutcome(models.Model):
    """A job's newest successful run and newest outcome among its folded top-level runs (newest: created last)."""

    job_id = models.BigIntegerField(unique=True)
    success_id = models.BigIntegerField(null=True)
    success_created_at = models.DateTimeField(null=True)
    success_finished_at = models.DateTimeField(null=True)
    outcome_id = models.BigIntegerField(null=True)
    outcome_created_at = models.DateTimeField(null=True)
    outcome_status = models.CharField(max_length=20, null=True)
    outcome_counters = models.JSONField(null=True)

    def __str__(self):
        return f"newest outcome of job {self.job_id}: {self.outcome_status}"


class FoldState(models.Model):
    watermark = models.BigIntegerField(default=0, help_text="Ended runs with a lower id are folded.")
    pending = models.JSONField(default=list, help_text="Runs below the watermark still active at the last fold.")
    folded_at = models.DateTimeField(null=True)
    buckets = models.JSONField(default=dict, help_text="The bounds the histograms were counted with.")

    def __str__(self):
        return f"runs folded below id {self.watermark}"


class RunGone(models.Model):
    """A folded run that was deleted: the columns ``queries.run_rows`` aggregates, copied by the trigger."""

    job_id = models.BigIntegerField()
    status = models.CharField(max_length=20)
    trigger = models.CharField(max_length=20)
    message = models.CharField(max_length=20, blank=True)  # its first characters ("missed: ...")
    created_at = models.DateTimeField()
    not_before = models.DateTimeField(null=True)
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)
    due_at = models.DateTimeField(null=True)

    def __str__(self):
        return f"gone run of job {self.job_id}"
