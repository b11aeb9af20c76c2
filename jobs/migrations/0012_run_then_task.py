"""``Run.then_task`` / ``Run.then_args``: the task a parent run calls after its last subtask (``spawn_finally``)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("jobs", "0011_run_outbox_request_token"),
    ]

    operations = [
        migrations.AddField(
            model_name="run",
            name="then_task",
            field=models.CharField(blank=True, max_length=200, verbose_name="task after the subtasks"),
        ),
        migrations.AddField(
            model_name="run",
            name="then_args",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
