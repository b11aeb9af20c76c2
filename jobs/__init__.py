"""The job system: registered job types, jobs, runs and their logs."""

from jobs.exceptions import PartialSuccess, RunCancelled
from jobs.runs.context import current_run

__all__ = ["current_run", "PartialSuccess", "RunCancelled"]
