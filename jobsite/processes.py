"""Start, wait for and stop this project's ``celery worker`` and ``celery beat`` subprocesses.

The one helper the tests (``tests/conftest.py``, ``tests/jobs/scheduling/beatproc.py``)
and the benchmarks (``bench/common.py``, ``bench/beat.py``) share. Each process runs
``python -m celery -A jobsite ...`` from the project root with the environment it is
given and writes its output to a log file; ``stop()`` terminates it (and kills it when it
does not exit in time)::

    with worker_start(env=env, log_path=tmp / "worker.log", wait_ready=True) as worker:
        ...
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKER_READY = "ready."  # celery's "celery@host ready." (logged at INFO)
BEAT_READY = "beat: Starting"  # logged at INFO


class CeleryProcess:
    """A ``celery -A jobsite <args>`` subprocess writing to ``log_path``."""

    def __init__(self, args: Sequence[str], *, env: dict, log_path: Path, what: str = "celery",
                 stop_timeout: float = 30.0):
        self.what = what
        self.stop_timeout = stop_timeout
        self.log_path = Path(log_path)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "jobsite", *args],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_text(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def check(self):
        """Raise ``RuntimeError`` (with the log's tail) if the process has exited."""
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.what} exited ({self.proc.returncode}):\n{self.log_text()[-3000:]}")

    def wait_for_log(self, marker: str, *, timeout: float = 60.0, interval: float = 0.1):
        """Wait until ``marker`` is in the log; raise ``RuntimeError`` if the process exits or time runs out."""
        deadline = time.monotonic() + timeout
        while marker not in self.log_text():
            self.check()
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.what} did not start within {timeout:g} s:\n{self.log_text()[-3000:]}")
            time.sleep(interval)
        return self

    def stop(self):
        """Terminate the process (kill it after ``stop_timeout`` seconds) and close its log."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self._log.closed:
            self._log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def worker_start(
    *,
    env: dict,
    log_path: Path,
    queue: str | None = None,
    concurrency: int = 2,
    pool: str = "prefork",
    loglevel: str = "INFO",
    name: str | None = None,
    extra_args: Sequence[str] = (),
    wait_ready: bool = True,
    start_timeout: float = 60.0,
    stop_timeout: float = 30.0,
) -> CeleryProcess:
    """Start a worker consuming ``queue`` (default: ``env["CELERY_TASK_DEFAULT_QUEUE"]``).

    ``wait_ready`` waits for celery's "ready." line, which is logged at INFO only.
    """
    queue = queue or env["CELERY_TASK_DEFAULT_QUEUE"]
    args = [
        "worker", f"--pool={pool}", f"--concurrency={concurrency}", f"--loglevel={loglevel}", "-Q", queue,
        "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", name or f"{queue}-{os.getpid()}@%h",
        *extra_args,
    ]
    worker = CeleryProcess(args, env=env, log_path=log_path, what="celery worker", stop_timeout=stop_timeout)
    if wait_ready:
        worker.wait_for_log(WORKER_READY, timeout=start_timeout, interval=0.2)
    return worker


def beat_start(
    *,
    env: dict,
    workdir: Path,
    name: str = "beat",
    scheduler: str = "jobs.scheduling.beat:JobScheduler",
    loglevel: str = "INFO",
    extra_args: Sequence[str] = (),
    wait_ready: bool = True,
    start_timeout: float = 30.0,
    stop_timeout: float = 15.0,
) -> CeleryProcess:
    """Start a beat with ``scheduler``; its log, schedule and pid files are ``workdir/<name>.*``.

    ``wait_ready`` waits for "beat: Starting", which is logged at INFO only.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    args = [
        "beat", f"--loglevel={loglevel}", f"--scheduler={scheduler}",
        f"--schedule={workdir / (name + '.db')}", f"--pidfile={workdir / (name + '.pid')}", *extra_args,
    ]
    beat = CeleryProcess(args, env=env, log_path=workdir / f"{name}.log", what="celery beat", stop_timeout=stop_timeout)
    if wait_ready:
        beat.wait_for_log(BEAT_READY, timeout=start_timeout)
    return beat
