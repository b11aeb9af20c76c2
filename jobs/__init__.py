"""The job system: registered job types, jobs, runs and their logs."""

from jobs.context import current_run
from jobs.exceptions import PartialSuccess, RunCancelled

__all__ = ["current_run", "PartialSuccess", "RunCancelled"]
