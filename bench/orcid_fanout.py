"""ORCID names over processes and workers: one parser, forked parsers, fanned out over 1 and 2 worker processes.

A summaries .tar.gz of realistic records (the real sample of tests/data, its works
trimmed to the average summary size, as ``bench/vocabularies_import.py`` makes them) is
imported into empty tables of the database ``jobsite_bench_orcid``, four ways:

    one parser   the job's task in this process, VOCABULARIES_PARSERS=1 (one forked parser)
    forked       the same with VOCABULARIES_PARSERS=2: one reading process feeds two parsers
    fan-out 1    a run through a Celery worker of concurrency 1: the parent cuts the dump into
                 chunk files (MEDIA_ROOT) and its subtasks import them, one at a time
    fan-out 2    the same through a worker of concurrency 2 (two worker processes)

and, first, parsing alone (nothing written, no PostgreSQL competing for the two cores): the
dump read, parsed, mapped, hashed and serialized into batches by one forked process (what
"one parser" does before its writes), then by a reading process feeding two forked parsers
(what "forked" does). The issue's target, "forked parsing >= 1.6x one parser", is this
pair; the import pair shows what is left of it when PostgreSQL's upserts share the cores.

In the fan-out phases each subtask parses with one forked parser (VOCABULARIES_PARSERS=1), so
that the worker processes are what scales. Rates are records / wall time (fan-out: the
parent's start to its end); "cpu" is the CPU time of this process and its waited-for children
(forked parsers; the worker and its pool, stopped after the phase), not PostgreSQL's. The
machine may be shared: the load average is printed before each phase. Asserts nothing.

    .venv/bin/python bench/orcid_fanout.py [--size N] [--full] [--chunks N]
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

DB_NAME = "jobsite_bench_orcid"


def _cpu() -> float:
    """CPU seconds of this process and of its waited-for children (forked parsers, the stopped worker's tree)."""
    return sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))


def _dump(size: int) -> Path:
    from bench.vocabularies_import import generate_orcid

    folder = common.ROOT / "var" / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"bench-orcid-{size}.tar.gz"
    if not path.exists():
        started = time.perf_counter()
        generate_orcid(path.with_suffix(".part"), size)
        path.with_suffix(".part").rename(path)
        print(f"  generated {path.name}: {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - started:.0f} s",
              flush=True)
    return path


def _in_process(path: Path, parsers: int) -> tuple[float, dict]:
    from django.conf import settings

    from jobs.runs import context
    from vocabularies.jobs import orcid_names

    common.tables_truncate("vocabularies_name")
    settings.VOCABULARIES_PARSERS = parsers
    handle = context.RunHandle(None)
    token = context.activate(handle)
    started = time.perf_counter()
    try:
        orcid_names(source=path.name, fan_out=False)
    finally:
        context.deactivate(token)
    return time.perf_counter() - started, dict(handle.counters)


def _parse_only(path: Path, parsers: int) -> tuple[float, dict]:
    """The import's parsing side with nothing written: batches counted and dropped."""
    from jobs.runs import context
    from vocabularies import conf, orcidfanout, targets
    from vocabularies.batches import fed_batches, forked_batches, prepared_batches
    from vocabularies.readers import orcid

    options = {"target": targets.NAMES, "mapper": orcid.name_row, "since": None, "limit": None,
               "batch_size": int(conf.get("VOCABULARIES_BATCH_SIZE")), "serialized": True}
    max_member_bytes = int(conf.get("VOCABULARIES_MAX_MEMBER_BYTES"))
    handle = context.RunHandle(None)
    token = context.activate(handle)
    started = time.perf_counter()
    rows = 0
    try:
        if parsers == 1:
            records = orcid.orcid_records(path, max_member_bytes=max_member_bytes)
            batches = forked_batches(lambda: prepared_batches(records=records, **options))
        else:
            batches = fed_batches(feed=orcidfanout.orcid_feed(path, max_member_bytes=max_member_bytes), count=parsers,
                                  produce=lambda source: prepared_batches(records=source, **options))
        for batch in batches:
            rows += len(batch.rows) + len(batch.kept)
    finally:
        context.deactivate(token)
    return time.perf_counter() - started, {"rows": rows}


def _fanned_out(path: Path, env: dict, concurrency: int, chunk_records: int) -> tuple[float, dict, str]:
    from jobs.models import Run
    from jobs.runs.services import run_create
    from jobs.services import job_create

    common.tables_truncate("vocabularies_name")
    job = job_create(title=f"bench orcid fan-out {concurrency}", task_type="orcid_names")
    worker_env = dict(env, DJANGO_SETTINGS_MODULE="bench.orcid_settings", BENCH_VOCABULARIES_PARSERS="1",
                      JOBSITE_LOG_LEVEL="WARNING")
    with common.Worker(worker_env, concurrency=concurrency) as worker:
        run = run_create(job=job, args={"source": path.name, "chunk_records": chunk_records}, trigger=Run.Trigger.API)
        common.wait_until(
            lambda: Run.objects.filter(pk=run.pk, status__in=Run.FINAL_STATUSES).exists(),
            timeout=7200, interval=0.5, what="the fanned-out import to end", check=worker.check,
        )
    run.refresh_from_db()
    children = Run.objects.filter(parent=run).count()
    return (run.finished_at - run.started_at).total_seconds(), dict(run.counters), f"{run.status}, {children} subtasks"


def main(argv=None):
    import argparse

    extra = argparse.ArgumentParser(add_help=False)
    extra.add_argument("--chunks", type=int, default=8, help="chunks of the fan-out phases (default 8)")
    known, rest = extra.parse_known_args(argv)
    args = common.arguments(__doc__.splitlines()[0], size=20_000, full_size=200_000, argv=rest)
    env = common.django_setup(DB_NAME, DJANGO_SETTINGS_MODULE="bench.orcid_settings", JOBSITE_LOG_LEVEL="WARNING")
    import logging

    import jobsite  # noqa: F401 - binds shared tasks to the configured Celery app

    logging.getLogger().setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.WARNING)
    common.tables_truncate("jobs_runlog", "jobs_run", "jobs_job")
    common.queue_purge(env)
    size = args.size
    chunk_records = -(-size // known.chunks)
    print(f"orcid fan-out: {size} records, db {DB_NAME}, chunks of {chunk_records} records in the fan-out phases, "
          f"{common.machine_load()}", flush=True)
    path = _dump(size)
    results = {}
    phases = [
        ("parse only, one parser", lambda: _parse_only(path, 1)),
        ("parse only, 2 parsers", lambda: _parse_only(path, 2)),
        ("one parser", lambda: _in_process(path, 1)),
        ("forked (2 parsers)", lambda: _in_process(path, 2)),
        ("fan-out, 1 worker process", lambda: _fanned_out(path, env, 1, chunk_records)),
        ("fan-out, 2 worker processes", lambda: _fanned_out(path, env, 2, chunk_records)),
    ]
    for name, phase in phases:
        before = common.machine_load()
        cpu = _cpu()
        outcome = phase()
        cpu = _cpu() - cpu
        seconds, counters = outcome[0], outcome[1]
        results[name] = size / seconds
        note = f"  ({outcome[2]})" if len(outcome) > 2 else ""
        print(f"  {name:28s} {seconds:8.1f} s {size / seconds:8.0f} records/s  cpu {cpu:6.1f} s (PostgreSQL not "
              f"counted)  counters={counters}{note}  "
              f"[{before} before]", flush=True)
    parsing = results["parse only, 2 parsers"] / results["parse only, one parser"]
    forked = results["forked (2 parsers)"] / results["one parser"]
    fanned = results["fan-out, 2 worker processes"] / results["fan-out, 1 worker process"]
    print(f"  parsing, 2 parsers / one parser: {parsing:.2f}x (target >= 1.6: {'met' if parsing >= 1.6 else 'missed'})")
    print(f"  import, forked / one parser: {forked:.2f}x (PostgreSQL's upserts share the two cores)")
    print(f"  fan-out 2 / 1 worker processes: {fanned:.2f}x (target >= 1.5: {'met' if fanned >= 1.5 else 'missed'})")
    print(f"  {common.machine_load()} after", flush=True)
    common.queue_purge(env)


if __name__ == "__main__":
    main()
