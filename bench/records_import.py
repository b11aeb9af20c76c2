"""Benchmark the record import: N DataCite XML records from a .tar.gz, records/s and peak RSS (prints, asserts nothing).

    .venv/bin/python bench/records_import.py [--size N] [--full]     # default 5,000; --full 100,000

The archive is generated from the real kernel-4.5 examples in tests/data (each with its
own DOI, ``10.82433/bench-NNNNNN``, and a numbered title) into the import folder
(``var/imports/bench/``, reused when present). In the bench's own database
(jobsite_bench_records) the record table is emptied, then each phase runs in a fresh
subprocess so its peak RSS (VmHWM) is its own: the first import (every record
created), a second one (every record unchanged) and a dry run.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tarfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

DB_NAME = "jobsite_bench_records"
EXAMPLES = sorted((common.ROOT / "tests" / "data" / "datacite" / "schema" / "kernel-4.5" / "example").glob("*.xml"))
FOLDER = common.ROOT / "var" / "imports" / "bench"


def archive_build(size: int) -> Path:
    """Write (or reuse) the .tar.gz of ``size`` varied DataCite XML records; return its path."""
    path = FOLDER / f"records-{size}.tar.gz"
    if path.exists():
        print(f"archive: reusing {path.relative_to(common.ROOT)} ({path.stat().st_size / 1e6:.1f} MB)")
        return path
    FOLDER.mkdir(parents=True, exist_ok=True)
    templates = [p.read_bytes() for p in EXAMPLES]
    started = time.perf_counter()
    partial = path.with_suffix(".part")
    with tarfile.open(partial, "w:gz", compresslevel=6) as archive:
        for i in range(size):
            xml = templates[i % len(templates)]
            xml = re.sub(rb"(<identifier[^>]*>)[^<]+(</identifier>)", rb"\g<1>10.82433/bench-%06d\g<2>" % i, xml, count=1)
            xml = re.sub(rb"(<title[^>]*>)([^<]+)(</title>)", rb"\g<1>\g<2> %d\g<3>" % i, xml, count=1)
            info = tarfile.TarInfo(f"records/10.82433%2Fbench-{i:06d}.xml")
            info.size = len(xml)
            archive.addfile(info, io.BytesIO(xml))
    partial.rename(path)
    print(f"archive: {size} records, {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s")
    return path


def _vmhwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(source: str, dry_run: bool):
    common.django_setup(DB_NAME, migrate=False)
    from exports.importing import records_import

    started, cpu_started = time.perf_counter(), time.process_time()
    counts = records_import(source=source, dry_run=dry_run)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(json.dumps({"counts": counts, "seconds": elapsed, "cpu": cpu, "vmhwm_mb": _vmhwm_mb()}))


def main():
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3] == "dry")
        return
    args = common.arguments(__doc__.splitlines()[0], size=5_000, full_size=100_000)
    env = common.django_setup(DB_NAME)
    common.tables_truncate("exports_record")
    path = archive_build(args.size)
    source = str(path.relative_to(common.ROOT / "var" / "imports"))
    print(f"\nimport of {args.size} DataCite XML records from {source}; one fresh process a phase; {common.machine_load()}")
    print("records/s = N / wall time; per CPU-s = N / this process's CPU time (PostgreSQL's work not included)")
    print(f"{'phase':28s} {'seconds':>8s} {'records/s':>10s} {'per CPU-s':>10s} {'peak RSS MB':>12s}  counts")
    for phase, mode in (("first import (create)", "write"), ("second import (unchanged)", "write"), ("dry run", "dry")):
        out = subprocess.run([sys.executable, __file__, "--child", source, mode], env=env, capture_output=True, text=True,
                             check=False, cwd=common.ROOT)
        if out.returncode != 0:
            print(f"{phase:28s} FAILED: {out.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        counts = ", ".join(f"{k} {v}" for k, v in r["counts"].items())
        print(f"{phase:28s} {r['seconds']:>8.1f} {args.size / r['seconds']:>10.0f} {args.size / r['cpu']:>10.0f}"
              f" {r['vmhwm_mb']:>12.1f}  {counts}")
    print(f"load after: {common.machine_load()}")


if __name__ == "__main__":
    main()
