"""The metrics app (label ``jobs_metrics``): its own tables, the stored fold of ended runs."""

from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "jobs.metrics"
    label = "jobs_metrics"
    verbose_name = "Metrics"
    default_auto_field = "django.db.models.BigAutoField"
