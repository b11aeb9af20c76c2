"""The stored fold of ended runs, and on PostgreSQL the triggers that keep it true when runs are deleted.

A delete of runs (a purge, a deleted job) copies the folded ones to ``RunGone`` in the same
transaction; the next fold subtracts them. The trigger reads the fold's state row in
share mode, so a delete and a fold (which holds that row for update) never overlap: the
delete either sees the fold's new watermark or commits before the fold reads the runs.
A TRUNCATE of ``jobs_run`` empties the fold. SQLite (``make run``) never folds.
"""

from django.db import migrations, models

STATE_ID = 1
ACTIVE = "'queued', 'running', 'cancelling'"

CREATE = f"""
CREATE FUNCTION jobs_metrics_runs_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bound bigint;
    active jsonb;
BEGIN
    SELECT watermark, pending INTO bound, active FROM jobs_metrics_foldstate WHERE id = {STATE_ID} FOR SHARE;
    IF bound > 0 THEN
        INSERT INTO jobs_metrics_rungone
            (job_id, status, trigger, message, created_at, not_before, started_at, finished_at, due_at)
        SELECT job_id, status, trigger, left(message, 20), created_at, not_before, started_at, finished_at, due_at
        FROM gone WHERE id < bound AND NOT active @> to_jsonb(id) AND status NOT IN ({ACTIVE});
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER jobs_metrics_runs_deleted AFTER DELETE ON jobs_run
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION jobs_metrics_runs_deleted();

CREATE FUNCTION jobs_metrics_runs_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM jobs_metrics_runcount;
    DELETE FROM jobs_metrics_histogramfold;
    DELETE FROM jobs_metrics_joboutcome;
    DELETE FROM jobs_metrics_rungone;
    INSERT INTO jobs_metrics_foldstate (id, watermark, pending, buckets) VALUES ({STATE_ID}, 0, '[]', '{{}}')
        ON CONFLICT (id) DO UPDATE SET watermark = 0, pending = '[]', folded_at = NULL;
    RETURN NULL;
END $$;
CREATE TRIGGER jobs_metrics_runs_truncated AFTER TRUNCATE ON jobs_run
    FOR EACH STATEMENT EXECUTE FUNCTION jobs_metrics_runs_truncated();

INSERT INTO jobs_metrics_foldstate (id, watermark, pending, buckets) VALUES ({STATE_ID}, 0, '[]', '{{}}');
"""
DROP = """
DROP TRIGGER jobs_metrics_runs_truncated ON jobs_run;
DROP FUNCTION jobs_metrics_runs_truncated();
DROP TRIGGER jobs_metrics_runs_deleted ON jobs_run;
DROP FUNCTION jobs_metrics_runs_deleted();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    initial = True

    dependencies = [("jobs", "0012_run_then_task")]

    operations = [
        migrations.CreateModel(
            name="FoldState",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("watermark", models.BigIntegerField(default=0, help_text="Ended runs with a lower id are folded.")),
                ("pending", models.JSONField(default=list, help_text="Runs below the watermark still active at the last fold.")),
                ("folded_at", models.DateTimeField(null=True)),
                ("buckets", models.JSONField(default=dict, help_text="The bounds the histograms were counted with.")),
            ],
        ),
        migrations.CreateModel(
            name="JobOutcome",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("job_id", models.BigIntegerField(unique=True)),
                ("success_id", models.BigIntegerField(null=True)),
                ("success_created_at", models.DateTimeField(null=True)),
                ("success_finished_at", models.DateTimeField(null=True)),
                ("outcome_id", models.BigIntegerField(null=True)),
                ("outcome_created_at", models.DateTimeField(null=True)),
                ("outcome_status", models.CharField(max_length=20, null=True)),
                ("outcome_counters", models.JSONField(null=True)),
            ],
        ),
        migrations.CreateModel(
            name="RunGone",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("job_id", models.BigIntegerField()),
                ("status", models.CharField(max_length=20)),
                ("trigger", models.CharField(max_length=20)),
                ("message", models.CharField(blank=True, max_length=20)),
                ("created_at", models.DateTimeField()),
                ("not_before", models.DateTimeField(null=True)),
                ("started_at", models.DateTimeField(null=True)),
                ("finished_at", models.DateTimeField(null=True)),
                ("due_at", models.DateTimeField(null=True)),
            ],
        ),
        migrations.CreateModel(
            name="HistogramFold",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=20)),
                ("job_id", models.BigIntegerField()),
                ("counts", models.JSONField(default=list)),
                ("count", models.BigIntegerField(default=0)),
                ("total", models.FloatField(default=0.0)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("name", "job_id"), name="histogramfold_one_per_job")],
            },
        ),
        migrations.CreateModel(
            name="RunCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("job_id", models.BigIntegerField()),
                ("status", models.CharField(max_length=20)),
                ("trigger", models.CharField(max_length=20)),
                ("n", models.BigIntegerField(default=0)),
                ("missed", models.BigIntegerField(default=0)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("job_id", "status", "trigger"), name="runcount_one_per_key")],
            },
        ),
        migrations.RunPython(create, drop),
    ]
