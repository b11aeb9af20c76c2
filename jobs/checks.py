"""System checks: every job-type problem the registry found is a check error."""

from django.core import checks

from jobs.registry import registry


@checks.register("jobs")
def check_job_types(app_configs=None, **kwargs):
    return [
        checks.Error(f"Job type {problem.source} {problem.message}.", id=problem.check_id)
        for problem in registry.problems
    ]
