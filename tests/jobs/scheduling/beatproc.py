"""A real ``celery beat`` subprocess (jobs.scheduling.beat.JobScheduler) against the test database."""

from pathlib import Path

from jobsite.processes import beat_start
from tests.conftest import worker_env


class Beat:
    """A started beat (``--max-interval=1``, files in ``tmp``); ``.stop()`` ends it."""

    def __init__(self, tmp: Path, name: str = "beat", scheduler: str = "jobs.scheduling.beat:JobScheduler"):
        self.process = beat_start(env=worker_env(), workdir=tmp, name=name, scheduler=scheduler,
                                  extra_args=["--max-interval=1"])

    def sent(self, task: str = "jobs.fire_schedule") -> int:
        """How many ``task`` messages the beat has sent so far (read from its log)."""
        return self.process.log_text().count(f"({task})")

    def stop(self):
        self.process.stop()
