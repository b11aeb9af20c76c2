"""Let the job groups see (and operators download) what the export job produces.

"Job operators" run the export job; without these they could start it but never fetch
its archive. The groups come from jobs' own migration; exports adds to them.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = {
    "Job operators": ["view_exportfile", "download_exportfile"],
    "Job viewers": ["view_exportfile"],
}


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    app_config = apps.get_app_config("exports")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="exports", codename__in=codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        for group in Group.objects.filter(name=name):
            group.permissions.remove(*Permission.objects.filter(content_type__app_label="exports", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("exports", "0001_initial"),
        ("jobs", "0002_groups"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
