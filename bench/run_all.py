"""Run every benchmark script in ``bench/`` in turn and print what each prints.

A benchmark is any ``bench/*.py`` with an ``if __name__ == "__main__":`` block, except
this file and the helpers (``common.py``, ``benchtasks.py``, ``worker_settings.py``). Each runs as
``python -m bench.<name>`` from the project root, with its modest default size, or with
``--full`` when this script gets ``--full``. A benchmark that fails is reported and the
others still run; the exit status says whether all of them succeeded.

    .venv/bin/python bench/run_all.py [--full] [--only NAME ...] [--skip NAME ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
NOT_BENCHMARKS = {"__init__", "common", "benchtasks", "run_all", "worker_settings"}


def benchmarks() -> list[str]:
    names = []
    for path in sorted(BENCH_DIR.glob("*.py")):
        if path.stem in NOT_BENCHMARKS or path.stem.startswith("_"):
            continue
        if '__name__ == "__main__"' in path.read_text() or "__name__ == '__main__'" in path.read_text():
            names.append(path.stem)
    return names


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="run every benchmark at its full size")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these benchmarks")
    parser.add_argument("--skip", nargs="+", metavar="NAME", default=[], help="do not run these")
    args = parser.parse_args(argv)
    names = [n for n in benchmarks() if (not args.only or n in args.only) and n not in args.skip]
    failed = []
    print(f"benchmarks ({'full' if args.full else 'default'} size): {', '.join(names)}", flush=True)
    for name in names:
        command = [sys.executable, "-m", f"bench.{name}", *(["--full"] if args.full else [])]
        print(f"\n=== {name}: {' '.join(command[1:])}  (load {' '.join(f'{x:.2f}' for x in os.getloadavg())})",
              flush=True)
        started = time.monotonic()
        result = subprocess.run(command, cwd=ROOT, check=False)
        elapsed = time.monotonic() - started
        if result.returncode != 0:
            failed.append(name)
            print(f"=== {name} FAILED (exit {result.returncode}) after {elapsed:.0f} s", flush=True)
        else:
            print(f"=== {name} done in {elapsed:.0f} s", flush=True)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
