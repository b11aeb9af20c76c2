"""Webhooks beside e-mail: per job, a URL called with the run's JSON when a run ends in chosen statuses."""
