"""Migrations with PostgreSQL-only parts: the admin's trigram search indexes (0008)."""

import pytest
from django.contrib.admin.sites import site
from django.db import connection, transaction
from django.test import RequestFactory

from jobs.admin import run as run_admin
from jobs.models import Job, Run
from tests.factories import JobFactory, RunFactory

pytestmark = pytest.mark.django_db

TRIGRAM_INDEXES = {
    "job_title_trgm": ("jobs_job", "upper((title)::text) gin_trgm_ops"),
    "job_description_trgm": ("jobs_job", "upper(description) gin_trgm_ops"),
    "job_task_type_trgm": ("jobs_job", "upper((task_type)::text) gin_trgm_ops"),
    "run_message_trgm": ("jobs_run", "upper(message) gin_trgm_ops"),
}


def _plan(queryset) -> str:
    """The plan when PostgreSQL may only scan through index conditions (bitmap scans).

    The test tables are tiny: left alone, the planner reads them whole, or walks an
    ordered index and filters; neither says whether a trigram index could answer.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        for path in ("seqscan", "indexscan", "indexonlyscan"):
            cursor.execute(f"SET LOCAL enable_{path} = off")
        return queryset.order_by().explain()


def test_trigram_indexes_exist_and_are_valid():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.relname, pg_get_indexdef(i.indexrelid), i.indisvalid FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid WHERE c.relname LIKE '%%_trgm'"
        )
        found = {name: (table, definition, valid) for name, table, definition, valid in cursor.fetchall()}
    assert set(found) == set(TRIGRAM_INDEXES)
    for name, (table, expression) in TRIGRAM_INDEXES.items():
        assert found[name][0] == table and found[name][2]
        assert f"USING gin ({expression})" in found[name][1]


def test_icontains_searches_use_the_trigram_indexes():
    assert "run_message_trgm" in _plan(Run.objects.filter(message__icontains="boom"))
    plan = _plan(Job.objects.filter(title__icontains="x") | Job.objects.filter(description__icontains="x")
                 | Job.objects.filter(task_type__icontains="x"))
    assert all(name in plan for name in ("job_title_trgm", "job_description_trgm", "job_task_type_trgm"))


def _run_search(term: str):
    admin = site._registry[Run]
    request = RequestFactory().get("/admin/jobs/run/", {"q": term})
    queryset, may_have_duplicates = admin.get_search_results(request, Run.objects.all(), term)
    return queryset, may_have_duplicates


def test_run_search_combines_the_indexes_and_finds_the_right_runs(monkeypatch):
    nightly = JobFactory(title="Nightly ROR import")
    other = JobFactory(title="Export records")
    by_title = RunFactory(job=nightly)
    by_message = RunFactory(job=other, message="RuntimeError: ror dump truncated")
    by_task_id = RunFactory(job=other, task_id="ROR")  # the task id matches exactly
    RunFactory(job=other, message="all good")

    queryset, duplicates = _run_search("ROR")
    assert not duplicates
    assert set(queryset) == {by_title, by_message, by_task_id}
    plan = _plan(queryset)
    assert "BitmapOr" in plan and "run_message_trgm" in plan and "SubPlan" not in plan

    queryset, _ = _run_search("nothing like this")
    assert not queryset.exists()

    # Past MATCHED_JOBS_LISTED jobs the jobs stay a subquery: same rows.
    monkeypatch.setattr(run_admin, "MATCHED_JOBS_LISTED", 0)
    queryset, _ = _run_search("ROR")
    assert set(queryset) == {by_title, by_message, by_task_id}
