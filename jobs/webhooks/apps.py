"""The webhooks app (its own migrations, label ``jobs_webhooks``)."""

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "jobs.webhooks"
    label = "jobs_webhooks"
    verbose_name = "Job webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from jobs.webhooks import selectors  # noqa: F401 - connects the cache's invalidation signals
