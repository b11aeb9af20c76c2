"""RunLog's primary key becomes (run_id, seq): no serial id to draw and index for every line.

Django's migrations cannot turn an existing single-column key into a composite one (the
state operations below would leave the table without any key), so the database side is
written here: on PostgreSQL the key replaces the unique constraint in place; SQLite
rebuilds the table, as Django itself does for a changed key.
"""

from django.db import migrations, models

POSTGRESQL = """
ALTER TABLE jobs_runlog DROP CONSTRAINT runlog_run_seq;
ALTER TABLE jobs_runlog DROP COLUMN id;
ALTER TABLE jobs_runlog ADD CONSTRAINT jobs_runlog_pkey PRIMARY KEY (run_id, seq);
"""

SQLITE = [
    'CREATE TABLE "new__jobs_runlog" ("run_id" bigint NOT NULL, "seq" integer unsigned NOT NULL CHECK ("seq" >= 0),'
    ' "created_at" datetime NOT NULL, "level" smallint unsigned NOT NULL CHECK ("level" >= 0),'
    ' "logger" varchar(200) NOT NULL, "message" text NOT NULL, PRIMARY KEY ("run_id", "seq"))',
    'INSERT INTO "new__jobs_runlog" ("run_id", "seq", "created_at", "level", "logger", "message")'
    ' SELECT "run_id", "seq", "created_at", "level", "logger", "message" FROM "jobs_runlog"',
    'DROP TABLE "jobs_runlog"',
    'ALTER TABLE "new__jobs_runlog" RENAME TO "jobs_runlog"',
    'CREATE INDEX "runlog_run_warning_idx" ON "jobs_runlog" ("run_id", "seq") WHERE "level" >= 30',
]


def key_run_seq(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"jobs.0007: no key change written for {vendor}")


class Migration(migrations.Migration):

    dependencies = [
        ('jobs', '0006_runlog_warning_index'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(key_run_seq, elidable=False)],
            state_operations=[
                migrations.RemoveConstraint(
                    model_name='runlog',
                    name='runlog_run_seq',
                ),
                migrations.RemoveField(
                    model_name='runlog',
                    name='id',
                ),
                migrations.AddField(
                    model_name='runlog',
                    name='pk',
                    field=models.CompositePrimaryKey('run_id', 'seq', blank=True, editable=False, primary_key=True, serialize=False),
                ),
            ],
        ),
    ]
