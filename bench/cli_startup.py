"""Benchmark ``manage.py jobs`` start-up: wall and CPU time of ``jobs list`` and ``jobs run --help``.

    .venv/bin/python bench/cli_startup.py [--size 5]

Each command runs ``--size`` times in a fresh process against the bench database
``jobsite_bench_cli_startup`` (created and migrated if missing); prints the median and
the fastest wall time, the median CPU time (user + system of the child), and the
machine's load. The target is 0.8 s of wall time on an idle machine. Asserts nothing.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

DB_NAME = os.environ.get("BENCH_CLI_STARTUP_DB", "jobsite_bench_cli_startup")
COMMANDS = {"jobs list": ["jobs", "list"], "jobs run --help": ["jobs", "run", "--help"]}


def _timed(env: dict, args: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", *args], cwd=common.ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    args = common.arguments(__doc__.splitlines()[0], size=5, full_size=20)
    common.database_create(DB_NAME)
    env = common.bench_env(DB_NAME)
    # Measure what a deployed site runs: its modules' bytecode cached (the Dockerfile compiles it
    # into the image). With PYTHONDONTWRITEBYTECODE set (as in some shells) every start compiles
    # the project's modules again: the warm-up run below writes the bytecode instead.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=common.ROOT, env=env, check=True)
    print(f"manage.py jobs start-up, {args.size} runs each, {common.machine_load()}")
    for label, command in COMMANDS.items():
        _timed(env, command)  # warm the file cache and the bytecode
        walls, cpus = zip(*(_timed(env, command) for _ in range(args.size)), strict=True)
        print(f"  {label:<18} wall median {common.median(walls):.3f} s  fastest {min(walls):.3f} s  "
              f"cpu median {common.median(cpus):.3f} s")


if __name__ == "__main__":
    main()
