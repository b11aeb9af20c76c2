"""The API's Django app (label ``jobs_api``: its token and idempotency tables)."""

from django.apps import AppConfig


class JobsApiConfig(AppConfig):
    name = "jobs.api"
    label = "jobs_api"
    verbose_name = "API"
    default_auto_field = "django.db.models.BigAutoField"
