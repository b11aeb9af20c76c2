"""Schedules: tick arithmetic, the django-celery-beat store, the beat scheduler, ticks into runs."""
