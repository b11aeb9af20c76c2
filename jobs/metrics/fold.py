"""Run totals without re-reading the whole history: ended runs are folded once, in the database.

A run that has ended never changes again, so its aggregates are added once to the stored
fold (``jobs.metrics.models``) that every process (web, worker, beat) reads, and a
scrape reads only what is not folded yet. Each scrape, in one transaction:

1. locks the fold's state row (``SELECT ... FOR UPDATE``: scrapes of several processes
   take turns, and a delete of runs waits for the scrape in progress);
2. when the last fold is ``JOBS_METRICS_FOLD_SECONDS`` old (60 s), or runs were deleted
   since (copied to ``RunGone`` by the delete trigger), moves it on: the runs that ended
   since, below a new watermark (the first run created less than
   ``JOBS_METRICS_FOLD_SECONDS`` ago, else the next id, so that a run whose insert is
   still uncommitted is not skipped), are added; the deleted runs are subtracted; the
   runs below the watermark still active are kept as ``pending`` for the next fold; the
   newest success and outcome of every job concerned are looked up again;
3. reads the stored totals and newest runs, and the runs above the watermark or pending.

A fresh process therefore reads the same few rows as any other. The first scrape after
the fold was created (or after the bucket bounds changed) reads the whole history once,
for every process. SQLite (``make run``) has no triggers and always reads everything.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.postgres.aggregates import ArrayAgg
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from jobs import conf
from jobs.metrics import queries
from jobs.metrics.models import HISTOGRAMS, STATE_ID, FoldState, HistogramFold, JobOutcome, RunCount, RunGone
from jobs.metrics.totals import RunTotals
from jobs.models import Run

ROW = queries.ROW_KEY


def _bounds() -> dict:
    return {name: [float(b) for b in bounds] for name, bounds in HISTOGRAMS.items()}


def _state_locked() -> FoldState:
    state = FoldState.objects.select_for_update().filter(pk=STATE_ID).first()
    if state is None:  # made by the migration and after a TRUNCATE of the runs; the table was emptied otherwise
        FoldState.objects.bulk_create([FoldState(pk=STATE_ID)], ignore_conflicts=True)
        state = FoldState.objects.select_for_update().get(pk=STATE_ID)
    return state


def _store(delta: RunTotals) -> None:
    """Add ``delta`` to the stored fold (the lock is held); keys and histograms left at zero are deleted."""
    jobs = {key[0] for key in delta.counts}
    stored = {tuple(row[:3]): row[3:] for row in queries.fold_counts_queryset(jobs)}
    counts = {key: [a + b for a, b in zip(stored.get(key, (0, 0)), value, strict=True)] for key, value in delta.counts.items()}
    RunCount.objects.bulk_create(
        [RunCount(**dict(zip(ROW, key, strict=True)), n=n, missed=missed) for key, (n, missed) in counts.items() if n > 0],
        update_conflicts=True, unique_fields=ROW, update_fields=["n", "missed"],
    )
    _delete(RunCount, ROW, [key for key, (n, _missed) in counts.items() if n <= 0])

    histograms = RunTotals()
    histograms.add_stored([], queries.fold_histograms_queryset({0, *(job_id for _name, job_id, _h in delta.histograms())}))
    for name, job_id, hist in delta.histograms():
        histograms.histogram(name, job_id).add(hist.counts, hist.count, hist.total)
    changed = {(name, job_id) for name, job_id, hist in delta.histograms() if not hist.empty}
    kept = [(name, job_id, hist) for name, job_id, hist in histograms.histograms() if (name, job_id) in changed]
    HistogramFold.objects.bulk_create(
        [HistogramFold(name=name, job_id=job_id, counts=h.counts, count=h.count, total=h.total)
         for name, job_id, h in kept if not h.empty],
        update_conflicts=True, unique_fields=["name", "job_id"], update_fields=["counts", "count", "total"],
    )
    _delete(HistogramFold, ("name", "job_id"), [(name, job_id) for name, job_id, h in kept if h.empty])


def _store_newest(job_ids: set, watermark: int, pending: list[int]) -> None:
    """Each of these jobs' newest success and outcome among its folded runs, stored anew."""
    if not job_ids:
        return
    folded = Run.objects.filter(pk__lt=watermark).exclude(pk__in=pending)
    rows = [dict(zip(("job_id", *queries.NEWEST_FIELDS), row, strict=True))
            for row in queries.newest_outcomes(folded, job_ids)]
    rows = [row for row in rows if row["outcome_id"] is not None]  # a success is an outcome too
    JobOutcome.objects.bulk_create(
        [JobOutcome(**row) for row in rows],
        update_conflicts=True, unique_fields=["job_id"], update_fields=queries.NEWEST_FIELDS,
    )
    JobOutcome.objects.filter(job_id__in=job_ids).exclude(job_id__in=[row["job_id"] for row in rows]).delete()


def _delete(model, fields, keys) -> None:
    if keys:
        model.objects.filter(Q(*[Q(**dict(zip(fields, key, strict=True))) for key in keys], _connector=Q.OR)).delete()


def _advance(state: FoldState, now: dt.datetime, gone: list[dict]) -> None:
    """Fold the runs that ended since the last fold and take out the deleted ones, ``gone`` (the lock is held)."""
    if state.watermark and state.buckets != _bounds():  # counted with other bounds: start over
        for model in (RunCount, HistogramFold, JobOutcome, RunGone):
            model.objects.all().delete()
        state.watermark, state.pending, gone = 0, [], []
    cutoff = now - dt.timedelta(seconds=conf.get("JOBS_METRICS_FOLD_SECONDS"))
    watermark = max(state.watermark, queries.run_watermark(cutoff))
    newer = Q(pk__gte=state.watermark, pk__lt=watermark) | Q(pk__in=state.pending)
    folded = queries.run_rows(
        Run.objects.filter(newer), ids=ArrayAgg("pk", filter=Q(status__in=Run.ACTIVE_STATUSES), default=[])
    )
    ended = [row for row in folded if row["status"] not in Run.ACTIVE_STATUSES]
    delta = RunTotals()
    delta.add_rows(ended)
    delta.add_rows(gone, sign=-1)
    _store(delta)
    if gone:
        RunGone.objects.all().delete()  # no delete can add rows while the state row is held
    state.watermark = watermark
    state.pending = sorted(pk for row in folded if row["status"] in Run.ACTIVE_STATUSES for pk in row["ids"])
    _store_newest({row["job_id"] for row in (*ended, *gone)}, state.watermark, state.pending)
    state.folded_at, state.buckets = now, _bounds()
    state.save()


def run_totals(now: dt.datetime | None = None) -> RunTotals:
    """Every stored run's totals and every job's newest runs: the stored fold plus the runs not folded yet."""
    totals = RunTotals()
    if connection.vendor != "postgresql":
        totals.add_rows(queries.run_rows(Run.objects.all()))
        totals.add_newest(queries.newest_outcomes(Run.objects.all()))
        return totals.present()
    now = now or timezone.now()
    with transaction.atomic():
        state = _state_locked()
        gone = queries.gone_rows()
        age = now - state.folded_at if state.folded_at else None
        if gone or age is None or age.total_seconds() >= conf.get("JOBS_METRICS_FOLD_SECONDS"):
            _advance(state, now, gone)  # deleted runs are taken out at once (a job's newest run may be one)
        totals.add_stored(queries.fold_counts(), queries.fold_histograms())
        totals.add_rows(queries.unfolded_rows(state.watermark, state.pending))
        totals.add_newest(queries.fold_outcomes())
        totals.add_finished(queries.unfolded_outcomes(state.watermark, state.pending))
    return totals.present()
