"""Benchmark the record export: records/s and peak RSS per serializer and size (prints, asserts nothing).

    .venv/bin/python bench/exports.py [--records 100000] [--sizes 10000,100000] [--serializers datacite-xml,datacite-json,json]

Uses its own PostgreSQL database (jobsite_bench_exports, created and migrated if
missing) seeded with varied demo records (exports.demo, validated like any save;
reused when already there). Each (serializer, size) export runs in a fresh
subprocess so its peak RSS (VmHWM from /proc/self/status) is its own; the archive goes
to a temporary MEDIA_ROOT and is deleted afterwards. Also compares, on the same
records, the DataCite XML writers: our lxml serializer and the ``datacite`` package.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402  (importable once ROOT is on sys.path)

DB_NAME = os.environ.get("BENCH_EXPORTS_DB", "jobsite_bench_exports")
BASE = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def _setup(media_root: str | None = None):
    os.environ["DATABASE_URL"] = common.database_url(DB_NAME)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    if media_root:
        os.environ["DJANGO_MEDIA_ROOT"] = media_root
    import django

    django.setup()


def _seed(n: int):
    from django.core.management import call_command
    from django.utils import timezone

    from exports.demo import demo_metadata
    from exports.models import Record
    from exports.schema import metadata_load

    call_command("migrate", verbosity=0)
    _vocabulary_seed()
    have = Record.objects.count()
    if have == n:
        print(f"seed: reusing {n} records in {DB_NAME}")
        _analyze()
        return
    Record.objects.all().delete()
    started = time.perf_counter()
    batch = []
    for i in range(n):
        doi, meta = demo_metadata(i, named_links=i % 2 == 0)
        rec = Record(doi=doi, metadata=metadata_load(meta), deleted=i % 50 == 49)
        rec._copy_columns()
        rec.created = rec.updated = BASE + dt.timedelta(seconds=i)
        batch.append(rec)
        if len(batch) == 5000:
            Record.objects.bulk_create(batch)
            batch = []
    Record.objects.bulk_create(batch)
    print(f"seed: {n} records (validated) in {time.perf_counter() - started:.1f} s at {timezone.now():%H:%M:%S}")
    _analyze()


def _analyze():
    """Fresh planner statistics, as autovacuum keeps them on a live site.

    Exported right after a reseed, the table's statistics still describe the ids of the
    last seed: PostgreSQL then misjudges a part's pk range (2,745 rows expected for 25,000)
    and ANDs in a bitmap of the whole ``updated`` index for every chunk (~70 ms a chunk).
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE exports_record")


def _vocabulary_seed():
    """Name the demo records' ROR and Crossref Funder ids in the vocabularies: half the records leave
    their names to them, and a link nobody names is an errored entry (exports.links)."""
    from exports import demo
    from vocabularies.models import Affiliation, Funder

    for ror, name in demo.ORGS:
        Affiliation.objects.update_or_create(ror_id=ror, defaults={"name": name, "status": "active"})
    for (ror, name), (fundref_id, _) in zip(demo.FUNDERS_ROR, demo.FUNDERS_CROSSREF, strict=True):
        Funder.objects.update_or_create(ror_id=ror, defaults={"name": name, "status": "active", "fundref_ids": [fundref_id]})


def _vmhwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(serializer: str, size: int, media_root: str):
    _setup(media_root)
    from exports.services import records_export

    started, cpu_started = time.perf_counter(), time.process_time()
    export_file = records_export(serializer=serializer, until=BASE + dt.timedelta(seconds=size), include_deleted=True)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(json.dumps({
        "serializer": serializer, "size": size, "seconds": elapsed, "exported": export_file.record_count,
        "deleted": export_file.deleted_count, "errored": export_file.errored_count,
        "records_per_s": size / elapsed, "records_per_cpu_s": size / cpu, "archive_mb": export_file.size / 1e6, "vmhwm_mb": _vmhwm_mb(),
    }))


def _all_named(meta) -> bool:
    people = (meta.get("creators") or []) + (meta.get("contributors") or [])
    return all(a.get("name") for p in people for a in p.get("affiliation") or ()) and all(
        f.get("funderName") for f in meta.get("fundingReferences") or ()
    )


def compare_xml_writers(n: int = 2000):
    """Serializer-only throughput of the two DataCite XML writers over the same n records."""
    from datacite import schema45

    from exports.models import Record
    from exports.serializers import datacite_xml

    # Records whose names are all given (the package cannot write an unnamed funder or affiliation).
    rows = [r for r in Record.objects.filter(deleted=False).order_by("pk")[: 3 * n] if _all_named(r.metadata)][:n]
    natives = [r.as_native() for r in rows]
    package_input = [dict(r.metadata, doi=r.doi) for r in rows]
    results = {}
    for name, fn, items in (
        ("lxml (exports.serializers.datacite_xml)", datacite_xml.serialize, natives),
        ("datacite package (schema45.tostring)", schema45.tostring, package_input),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(items[0])
            started = time.process_time()
            for item in items:
                fn(item)
            results[name] = len(items) / (time.process_time() - started)
    print(f"\nDataCite XML writers, serialization only (records per CPU-second), same {len(natives)} records:")
    for name, rate in results.items():
        print(f"  {name:42s} {rate:8.0f} records/s")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000, help="records in the database (largest size)")
    parser.add_argument("--sizes", default=None, help="comma-separated export sizes (default: 10000 and --records)")
    parser.add_argument("--serializers", default="datacite-xml,datacite-json,json")
    parser.add_argument("--child", nargs=3, metavar=("SERIALIZER", "SIZE", "MEDIA_ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.child[2])
        return
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else sorted({min(10_000, args.records), args.records})
    common.database_create(DB_NAME)
    _setup()
    _seed(args.records)
    print(f"\nexport of N records (2% tombstones listed in deleted.txt), one fresh process each, {os.cpu_count()} CPUs")
    print("records/s = N / wall time; per CPU-s = N / this process's CPU time (excludes PostgreSQL's work;")
    print(f"less sensitive to other load on the machine). Load average before: {os.getloadavg()[0]:.2f}")
    print(f"{'serializer':14s} {'N':>8s} {'seconds':>8s} {'records/s':>10s} {'per CPU-s':>10s} {'peak RSS MB':>12s} {'archive MB':>11s}")
    for serializer in args.serializers.split(","):
        for size in sizes:
            with tempfile.TemporaryDirectory(prefix="bench-exports-") as media_root:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", serializer, str(size), media_root],
                    capture_output=True, text=True, check=False,
                )
            if out.returncode != 0:
                print(f"{serializer:14s} {size:>8d} FAILED: {out.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{serializer:14s} {size:>8d} {r['seconds']:>8.1f} {r['records_per_s']:>10.0f} {r['records_per_cpu_s']:>10.0f}"
                f" {r['vmhwm_mb']:>12.1f} {r['archive_mb']:>11.1f}"
            )
    compare_xml_writers()


if __name__ == "__main__":
    main()
