"""A real ``celery beat`` subprocess (jobs.scheduling.beat.JobScheduler) against the test database."""

from pathlib import Path

from jobsite.processes import beat_start
from tests.conftest import worker_env


class Beat:
    """A started beat (``--max-interval=1``, files in ``tmp``); ``.stop()`` ends it."""

    def __init__(
        self, tmp: Path, name: str = "beat", scheduler: str = "jobs.scheduling.beat:JobScheduler", loglevel: str = "INFO",
        env: dict | None = None,
    ):
        self.process = beat_start(env=env or worker_env(), workdir=tmp, name=name, scheduler=scheduler, loglevel=loglevel,
                                  extra_args=["--max-interval=1"])

    def sent(self, task: str = "jobs.fire_schedule") -> int:
        """How many ``task`` messages the beat has sent so far (read from its log)."""
        return self.process.log_text().count(f"({task})")

    def sends_of(self, entry: str) -> int:
        """How many messages the beat has sent for the periodic task named ``entry``."""
        return self.process.log_text().count(f"Sending due task {entry} (")

    def wakeups_since_last_send(self) -> int:
        """Scheduler passes since the last send (logged at DEBUG: start with ``loglevel="DEBUG"``)."""
        log = self.process.log_text()
        last = log.rfind("Sending due task ")
        return log[last:].count("beat: Waking up") if last >= 0 else 0

    def stop(self):
        self.process.stop()
