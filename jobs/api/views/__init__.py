"""The API's views: thin, one resource per module (job types, jobs, runs, logs)."""
