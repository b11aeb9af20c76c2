from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Jobs"

    def ready(self):
        # Imported once the app registry is ready: both import models (Django's AppConfig.ready rule).
        from jobs import checks  # noqa: F401 - registers the system checks
