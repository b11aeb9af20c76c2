"""A real ``celery beat`` subprocess (jobs.scheduling.beat.JobScheduler) against the test database."""

import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, worker_env


class Beat:
    def __init__(
        self, tmp: Path, name: str = "beat", scheduler: str = "jobs.scheduling.beat:JobScheduler", env: dict | None = None
    ):
        tmp.mkdir(parents=True, exist_ok=True)
        self.log_path = tmp / f"{name}.log"
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "jobsite", "beat", "--loglevel=INFO",
                f"--scheduler={scheduler}", f"--schedule={tmp / (name + '.db')}", f"--pidfile={tmp / (name + '.pid')}",
                "--max-interval=1",
            ],
            cwd=ROOT, env=env or worker_env(), stdout=self.log_path.open("w"), stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while "beat: Starting" not in self.log_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"celery beat did not start:\n{self.log_text()[-3000:]}")
            time.sleep(0.1)

    def log_text(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def sent(self, task: str = "jobs.fire_schedule") -> int:
        return self.log_text().count(f"({task})")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
