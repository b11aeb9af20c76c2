"""The webhooks app (its own migrations, label ``jobs_webhooks``)."""

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "jobs.webhooks"
    label = "jobs_webhooks"
    verbose_name = "Job webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Imported here: models must be loaded first. The listener module also connects the
        # cache's invalidation signals (through jobs.webhooks.selectors).
        from jobs.runs.followups import end_listener_register
        from jobs.webhooks.listener import WebhookListener

        end_listener_register(WebhookListener())
