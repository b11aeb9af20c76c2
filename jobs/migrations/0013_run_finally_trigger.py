"""Trigger ``finally``: a parent's step after its subtasks (``spawn_finally``) is a child run of its own, started once."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("jobs", "0012_run_then_task"),
    ]

    operations = [
        migrations.AlterField(
            model_name="run",
            name="trigger",
            field=models.CharField(
                choices=[
                    ("admin", "Admin"), ("cli", "Command line"), ("schedule", "Schedule"), ("api", "API"),
                    ("retry", "Retry"), ("subtask", "Subtask"), ("finally", "After the subtasks"),
                ],
                default="admin",
                max_length=10,
            ),
        ),
        migrations.AddConstraint(
            model_name="run",
            constraint=models.UniqueConstraint(
                condition=models.Q(("trigger", "finally")), fields=("parent",), name="run_one_finally_per_parent"
            ),
        ),
    ]
