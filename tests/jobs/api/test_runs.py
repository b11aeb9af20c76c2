"""Runs through the API: filtered lists with a keyset cursor, detail, run now (idempotent), cancel, run again."""

from __future__ import annotations

import datetime as dt
import threading
from urllib.parse import quote

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connections
from django.utils import timezone

from jobs.api.models import IdempotencyKey
from jobs.models import Run
from tests.conftest import in_threads
from tests.factories import JobFactory, RunFactory

pytestmark = pytest.mark.django_db


def ids(response):
    assert response.status_code == 200, response.content
    return [run["id"] for run in response.json()["results"]]


def test_run_list_filters(su_api):
    now = timezone.now()
    job, other = JobFactory(), JobFactory()
    old = RunFactory(job=job, status=Run.Status.FAILED, created_at=now - dt.timedelta(days=3))
    new = RunFactory(job=job, status=Run.Status.SUCCESS, trigger=Run.Trigger.API, created_at=now - dt.timedelta(hours=1))
    elsewhere = RunFactory(job=other, status=Run.Status.QUEUED, trigger=Run.Trigger.SCHEDULE, created_at=now)
    assert ids(su_api.get("/api/v1/runs/")) == [elsewhere.pk, new.pk, old.pk]
    assert ids(su_api.get(f"/api/v1/runs/?job={job.pk}")) == [new.pk, old.pk]
    assert ids(su_api.get(f"/api/v1/jobs/{job.pk}/runs/?status=failed")) == [old.pk]
    assert ids(su_api.get("/api/v1/runs/?status=failed&status=queued")) == [elsewhere.pk, old.pk]
    assert ids(su_api.get("/api/v1/runs/?trigger=api")) == [new.pk]
    after = quote((now - dt.timedelta(days=1)).isoformat())
    assert ids(su_api.get(f"/api/v1/runs/?created_after={after}")) == [elsewhere.pk, new.pk]
    assert ids(su_api.get(f"/api/v1/runs/?created_before={after}&job={job.pk}")) == [old.pk]
    bad = su_api.get("/api/v1/runs/?status=exploded&created_after=yesterday")
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"status", "created_after"}
    assert su_api.get("/api/v1/jobs/999999/runs/").status_code == 404


def test_cursor_pages_walk_every_run_once_in_both_directions(su_api):
    job = JobFactory()
    moment = timezone.now()
    # Ties on created_at: the id breaks them, so no run is skipped or repeated.
    runs = [RunFactory(job=job, created_at=moment - dt.timedelta(seconds=i // 3)) for i in range(23)]
    expected = [r.pk for r in sorted(runs, key=lambda r: (r.created_at, r.pk), reverse=True)]
    seen, url, pages = [], "/api/v1/runs/?page_size=5", []
    while url:
        data = su_api.get(url).json()
        pages.append(data)
        seen += [run["id"] for run in data["results"]]
        url = data["next"]
    assert seen == expected and len(pages) == 5 and pages[0]["previous"] is None
    back = su_api.get(pages[3]["previous"]).json()
    assert [run["id"] for run in back["results"]] == expected[10:15]
    garbage = su_api.get("/api/v1/runs/?cursor=garbage")
    assert garbage.status_code == 400 and "cursor" in garbage.json()["errors"]


def test_run_detail_has_everything_of_the_run_page(su_api):
    first = RunFactory(status=Run.Status.FAILED, message="boom", traceback="Traceback ...", args={"lines": 2})
    retry = RunFactory(job=first.job, status=Run.Status.PARTIAL_SUCCESS, retry_of=first, attempt=1,
                       counters={"created": 3}, errors=[{"id": "a", "reason": "bad"}], progress_done=5, progress_total=10)
    data = su_api.get(f"/api/v1/runs/{retry.pk}/").json()
    assert data["counters"] == {"created": 3} and data["errors"] == [{"id": "a", "reason": "bad"}]
    assert data["errors_total"] == 1 and data["progress_percent"] == 50.0 and data["attempt"] == 1
    assert [r["id"] for r in data["retry_chain"]] == [first.pk]
    assert [r["id"] for r in su_api.get(f"/api/v1/runs/{first.pk}/").json()["retries"]] == [retry.pk]
    assert su_api.get(f"/api/v1/runs/{first.pk}/").json()["args"] == {"lines": 2}
    child = RunFactory(job=first.job, parent=first, trigger=Run.Trigger.SUBTASK, title="part 1")
    assert su_api.get(f"/api/v1/runs/{child.pk}/").json()["parent"] == first.pk
    assert su_api.get(f"/api/v1/runs/{child.pk}/").json()["title"] == "part 1"
    missing = su_api.get("/api/v1/runs/999999/")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_run_now_validates_arguments_and_records_who(op_api, operator, django_capture_on_commit_callbacks):
    job = JobFactory(task_type="test_echo", default_args={"lines": 2})
    bad = op_api.post(f"/api/v1/jobs/{job.pk}/runs/", {"args": {"lines": "many", "nope": 1}})
    assert bad.status_code == 400
    assert set(bad.json()["errors"]["args"]) == {"lines", "nope"}
    assert not Run.objects.exists()
    with django_capture_on_commit_callbacks() as sent:
        created = op_api.post(f"/api/v1/jobs/{job.pk}/runs/", {"args": {"message": "hi"}})
    assert created.status_code == 201, created.content
    run = Run.objects.get(pk=created.json()["id"])
    assert (run.trigger, run.started_by, run.args) == ("api", operator, {"message": "hi", "lines": 2})
    assert len(sent) == 1  # sent to the broker after the commit
    entry = LogEntry.objects.get(object_id=str(job.pk))
    assert entry.user == operator and entry.change_message == f"Ran job through the API: run {run.pk}"


def test_run_now_of_a_job_whose_type_is_gone_is_a_conflict(op_api):
    job = JobFactory(task_type="uninstalled_type")
    response = op_api.post(f"/api/v1/jobs/{job.pk}/runs/", {})
    assert response.status_code == 409 and response.json()["code"] == "job_type_unavailable"
    assert not Run.objects.exists()


def test_idempotency_key_returns_the_first_run_within_24_hours(op_api):
    job, other = JobFactory(), JobFactory()
    url = f"/api/v1/jobs/{job.pk}/runs/"
    first = op_api.post(url, {}, **{"Idempotency-Key": "deploy-42"})
    again = op_api.post(url, {"args": {"lines": 9}}, **{"Idempotency-Key": "deploy-42"})
    assert first.status_code == 201 and again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"] and Run.objects.count() == 1
    reused = op_api.post(f"/api/v1/jobs/{other.pk}/runs/", {}, **{"Idempotency-Key": "deploy-42"})
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    later = op_api.post(url, {}, **{"Idempotency-Key": "deploy-42"})
    assert later.status_code == 201 and later.json()["id"] != first.json()["id"]
    assert op_api.post(url, {}, **{"Idempotency-Key": "x" * 201}).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_create_one_run(operator):
    from tests.apiclient import token_client

    job = JobFactory()
    clients = [token_client(operator) for _ in range(4)]
    barrier, answers = threading.Barrier(len(clients)), []

    def call(client):
        barrier.wait()
        try:
            answers.append(client.post(f"/api/v1/jobs/{job.pk}/runs/", {}, **{"Idempotency-Key": "same"}))
        finally:
            connections.close_all()

    in_threads(call, [(c,) for c in clients])
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201]
    assert len({a.json()["id"] for a in answers}) == 1 and Run.objects.filter(job=job).count() == 1


def test_cancel_and_rerun(op_api, operator):
    queued = RunFactory(status=Run.Status.QUEUED)
    cancelled = op_api.post(f"/api/v1/runs/{queued.pk}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    queued.refresh_from_db()
    assert queued.cancelled_by == operator
    assert LogEntry.objects.filter(object_id=str(queued.pk), user=operator, change_message__startswith="Cancelled run").exists()
    again = op_api.post(f"/api/v1/runs/{queued.pk}/cancel/")
    assert again.status_code == 409 and again.json()["code"] == "run_not_cancellable"
    done = RunFactory(status=Run.Status.SUCCESS, args={"lines": 7})
    rerun = op_api.post(f"/api/v1/runs/{done.pk}/rerun/")
    assert rerun.status_code == 201
    new = Run.objects.get(pk=rerun.json()["id"])
    assert (new.args, new.trigger, new.started_by, new.job_id) == ({"lines": 7}, "api", operator, done.job_id)
