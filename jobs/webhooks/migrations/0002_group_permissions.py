"""Let the "Job operators" and "Job viewers" groups see webhooks and their deliveries."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ["view_webhook", "view_delivery"]
GROUPS = ["Job operators", "Job viewers"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    app_config = apps.get_app_config("jobs_webhooks")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="jobs_webhooks", codename__in=CODENAMES)
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="jobs_webhooks", codename__in=CODENAMES))


class Migration(migrations.Migration):
    dependencies = [("jobs_webhooks", "0001_initial"), ("jobs", "0002_groups")]
    operations = [migrations.RunPython(grant, revoke)]
