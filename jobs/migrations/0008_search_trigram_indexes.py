"""Trigram indexes for the admin's searches, on PostgreSQL only (SQLite keeps scanning).

Django's ``icontains`` is ``UPPER(column) LIKE UPPER('%term%')`` on PostgreSQL, so the
indexes are on ``UPPER(column)`` with ``gin_trgm_ops``: a plain trigram index on the
column would never be used. They live here rather than in ``Meta.indexes`` because a
GIN index cannot be created on SQLite (``make run``).

Built with ``CREATE INDEX CONCURRENTLY`` (a non-atomic migration) so that a site with
millions of runs keeps recording runs while the index is built. ``RunLog.message`` is
not indexed: the index makes writing log lines about 5 times slower (1M lines: 4 s ->
22 s in bench), and a run's log search reads only that run's lines.
"""

from django.db import migrations

INDEXES = [
    # (index name, table, column)
    ("job_title_trgm", "jobs_job", "title"),
    ("job_description_trgm", "jobs_job", "description"),
    ("job_task_type_trgm", "jobs_job", "task_type"),
    ("run_message_trgm", "jobs_run", "message"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        # An interrupted CONCURRENTLY build leaves an invalid index behind: build it again.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = %s AND pg_catalog.pg_table_is_visible(c.oid)",
                [name],
            )
            row = cursor.fetchone()
        if row and row[0]:
            continue
        if row:
            schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')
        schema_editor.execute(
            f'CREATE INDEX CONCURRENTLY "{name}" ON "{table}" USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("jobs", "0007_runlog_key_run_seq"),
    ]

    operations = [migrations.RunPython(create, remove, elidable=False)]
