"""What a scrape reports about runs, summed from its parts (pure: no queries).

``RunTotals`` is added up from the stored fold (``queries.fold_counts`` and
``fold_histograms``) and the rows of ``queries.run_rows`` for the runs not folded yet;
each job's newest success and outcome is the newer of the stored one and the finished
runs not folded yet. What a fold adds to the stored fold (its new runs minus the
deleted ones) is a ``RunTotals`` too. Histogram counts are cumulative, as Prometheus wants them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache

from jobs.metrics.models import HISTOGRAMS
from jobs.metrics.queries import OUTCOME_FIELDS as OUTCOME
from jobs.metrics.queries import SUCCESS_FIELDS as SUCCESS
from jobs.models import Run


@cache
def _keys(name: str) -> tuple[str, ...]:
    """The ``run_rows`` columns of histogram ``name``: its count, its sum, then one per bound."""
    return (f"{name}_n", f"{name}_sum", *(f"{name}_le_{i}" for i in range(len(HISTOGRAMS[name]))))


@dataclass
class Histogram:
    buckets: tuple
    counts: list = field(default_factory=list)  # cumulative, one per bucket
    count: int = 0
    total: float = 0.0  # seconds

    def __post_init__(self):
        self.counts = self.counts or [0] * len(self.buckets)

    def add(self, counts: list, count: int, total: float, sign: int = 1):
        self.counts = [mine + sign * theirs for mine, theirs in zip(self.counts, counts, strict=True)]
        self.count += sign * count
        self.total += sign * total

    def add_row(self, row: dict, name: str, sign: int = 1):
        """Add (``sign`` -1: subtract) histogram ``name`` of a ``run_rows`` row."""
        n, total, *buckets = _keys(name)
        self.add([row[key] for key in buckets], row[n], (row[total] or dt.timedelta()).total_seconds(), sign)

    @property
    def empty(self) -> bool:
        return self.count == 0 and not any(self.counts)


@dataclass
class Newest:
    """A job's newest successful run ``(created_at, id, finished_at)`` and newest outcome ``(created_at, id, status, counters)``."""

    success: tuple | None = None
    outcome: tuple | None = None

    def offer(self, success: tuple | None, outcome: tuple | None):
        """Keep the newer of each (by creation, then id)."""
        if success is not None and (self.success is None or success[:2] > self.success[:2]):
            self.success = success
        if outcome is not None and (self.outcome is None or outcome[:2] > self.outcome[:2]):
            self.outcome = outcome


# Where a ``(job_id, *queries.NEWEST_FIELDS)`` row holds the success and the outcome, and their run ids.
_SUCCESS = slice(1, 1 + len(SUCCESS))
_OUTCOME = slice(_SUCCESS.stop, _SUCCESS.stop + len(OUTCOME))
_SUCCESS_ID, _OUTCOME_ID = _SUCCESS.start + SUCCESS.index("id"), _OUTCOME.start + OUTCOME.index("id")


@dataclass
class RunTotals:
    counts: dict = field(default_factory=dict)  # (job_id, status, trigger) -> (runs, missed ticks)
    durations: dict = field(default_factory=dict)  # job_id -> Histogram
    wait: Histogram = field(default_factory=lambda: Histogram(HISTOGRAMS["wait"]))
    late: Histogram = field(default_factory=lambda: Histogram(HISTOGRAMS["late"]))
    newest: dict = field(default_factory=dict)  # job_id -> Newest

    def duration(self, job_id) -> Histogram:
        if job_id not in self.durations:
            self.durations[job_id] = Histogram(HISTOGRAMS["duration"])
        return self.durations[job_id]

    def histogram(self, name: str, job_id) -> Histogram:
        """``("duration", job)``: the job's durations; ``("wait" | "late", 0)``: over all jobs."""
        return self.duration(job_id) if name == "duration" else getattr(self, name)

    def histograms(self):
        """``(name, job_id, histogram)`` of every histogram, as the fold stores them (job 0: all jobs)."""
        yield from (("duration", job_id, hist) for job_id, hist in self.durations.items())
        yield from (("wait", 0, self.wait), ("late", 0, self.late))

    def add_stored(self, counts: list[tuple], histograms: list[tuple]):
        """The stored fold: ``queries.fold_counts()`` and ``queries.fold_histograms()``."""
        self.counts.update({(job_id, status, trigger): (n, missed) for job_id, status, trigger, n, missed in counts})
        for name, job_id, bucket_counts, count, total in histograms:
            if name == "duration" and job_id not in self.durations:
                self.durations[job_id] = Histogram(HISTOGRAMS[name], bucket_counts, count, total)
            else:
                self.histogram(name, job_id).add(bucket_counts, count, total)

    def add_rows(self, rows: list[dict], sign: int = 1):
        """Rows of ``queries.run_rows`` (``sign`` -1: runs deleted since they were folded)."""
        for row in rows:
            key = (row["job_id"], row["status"], row["trigger"])
            n, missed = self.counts.get(key, (0, 0))
            self.counts[key] = (n + sign * row["n"], missed + sign * row["missed"])
            self.duration(row["job_id"]).add_row(row, "duration", sign)
            self.wait.add_row(row, "wait", sign)
            self.late.add_row(row, "late", sign)

    def add_newest(self, rows: list[tuple]):
        """Rows of ``queries.newest_outcomes`` or ``fold_outcomes``: each job's newest success and outcome."""
        for row in rows:
            success = None if row[_SUCCESS_ID] is None else row[_SUCCESS]
            outcome = None if row[_OUTCOME_ID] is None else row[_OUTCOME]
            if row[0] in self.newest:
                self.newest[row[0]].offer(success, outcome)
            else:
                self.newest[row[0]] = Newest(success, outcome)

    def add_finished(self, runs: list[dict]):
        """Finished top-level runs (``queries.unfolded_outcomes``), each a candidate for its job's newest."""
        for run in runs:
            outcome = tuple(run[name] for name in OUTCOME)
            success = tuple(run[name] for name in SUCCESS) if run["status"] == Run.Status.SUCCESS else None
            self.newest.setdefault(run["job_id"], Newest()).offer(success, outcome)

    def present(self) -> RunTotals:
        """These totals for the stored runs: keys left without runs dropped, a duration histogram per job."""
        counts = {key: value for key, value in self.counts.items() if value[0]}
        jobs = dict.fromkeys(key[0] for key in counts)
        durations = {job_id: self.durations.get(job_id) or Histogram(HISTOGRAMS["duration"]) for job_id in jobs}
        return RunTotals(counts, durations, self.wait, self.late, self.newest)

    def skipped(self) -> dict[str, int]:
        """Skipped ticks by reason: ``missed`` (fired too late) and ``overlap`` (an earlier run was active)."""
        reasons = {"missed": 0, "overlap": 0}
        for (_job, status, _trigger), (n, missed) in self.counts.items():
            if status == Run.Status.SKIPPED:
                reasons["missed"] += missed
                reasons["overlap"] += n - missed
        return reasons
