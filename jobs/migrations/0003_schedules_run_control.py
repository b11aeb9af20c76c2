import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('django_celery_beat', '0019_alter_periodictasks_options'),
        ('jobs', '0002_groups'),
    ]

    operations = [
        migrations.AddField(
            model_name='job',
            name='periodic_task',
            field=models.OneToOneField(blank=True, editable=False, help_text="The job's schedule (owned by jobs.scheduling).", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='job', to='django_celery_beat.periodictask'),
        ),
        migrations.AddField(
            model_name='run',
            name='cancel_requested_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='run',
            name='held',
            field=models.BooleanField(default=False, help_text="Queued behind the job's active run (overlap policy queue); sent when it ends."),
        ),
        migrations.AddField(
            model_name='run',
            name='not_before',
            field=models.DateTimeField(blank=True, help_text="Sent with a countdown (a retry's backoff).", null=True),
        ),
        migrations.AddField(
            model_name='run',
            name='reenqueued_at',
            field=models.DateTimeField(blank=True, help_text='When the reaper sent a lost message again.', null=True),
        ),
        migrations.AddField(
            model_name='run',
            name='slow_notified_at',
            field=models.DateTimeField(blank=True, help_text='When the slow-run alert went out.', null=True),
        ),
    ]
