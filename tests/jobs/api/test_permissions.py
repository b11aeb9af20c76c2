"""Every endpoint × every role: anonymous, viewer, operator, superuser, expired token, revoked token."""

from __future__ import annotations

import pytest

from jobs.models import Run
from tests.factories import JobFactory, RunFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "viewer", "operator", "superuser", "expired", "revoked"]
READ = {"viewer", "operator", "superuser"}
OPERATE = {"operator", "superuser"}
ADMIN = {"superuser"}


def endpoints(job, run, active_run, idle_job):
    """(method, url, body, roles allowed, success status)."""
    return [
        ("GET", "/api/v1/job-types/", None, READ, 200),
        ("GET", "/api/v1/job-types/test_echo/", None, READ, 200),
        ("GET", "/api/v1/jobs/", None, READ, 200),
        ("POST", "/api/v1/jobs/", {"title": "New", "task_type": "test_echo"}, ADMIN, 201),
        ("GET", f"/api/v1/jobs/{job.pk}/", None, READ, 200),
        ("PATCH", f"/api/v1/jobs/{job.pk}/", {"description": "changed"}, ADMIN, 200),
        ("GET", f"/api/v1/jobs/{job.pk}/schedule/", None, READ, 200),
        ("PUT", f"/api/v1/jobs/{job.pk}/schedule/", {"every": "15m"}, ADMIN, 200),
        ("DELETE", f"/api/v1/jobs/{job.pk}/schedule/", None, ADMIN, 200),
        ("GET", f"/api/v1/jobs/{job.pk}/runs/", None, READ, 200),
        ("POST", f"/api/v1/jobs/{job.pk}/runs/", {"args": {"lines": 1}}, OPERATE, 201),
        ("GET", "/api/v1/runs/", None, READ, 200),
        ("GET", f"/api/v1/runs/{run.pk}/", None, READ, 200),
        ("POST", f"/api/v1/runs/{active_run.pk}/cancel/", None, OPERATE, 200),
        ("POST", f"/api/v1/runs/{run.pk}/rerun/", None, OPERATE, 201),
        ("GET", f"/api/v1/runs/{run.pk}/logs/", None, READ, 200),
        ("GET", f"/api/v1/runs/{run.pk}/logs/download/", None, READ, 200),
        ("GET", f"/api/v1/runs/{run.pk}/logs/follow/", None, READ, 200),
        ("GET", "/api/v1/export-files/", None, READ, 200),
        ("DELETE", f"/api/v1/jobs/{idle_job.pk}/", None, ADMIN, 204),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_endpoint_for_every_role(role, clients, django_capture_on_commit_callbacks):
    client = clients[role]
    job = JobFactory(default_args={"lines": 2})
    run = RunFactory(job=job, status=Run.Status.SUCCESS)
    active_run = RunFactory(job=JobFactory(), status=Run.Status.QUEUED)
    for method, url, body, allowed, ok in endpoints(job, run, active_run, JobFactory()):
        response = client.request(method, url, body)
        if role in allowed:
            expected = ok
        elif role in ("anonymous", "expired", "revoked"):
            expected = 401
        else:
            expected = 403
        assert response.status_code == expected, (role, method, url, response.status_code, getattr(response, "content", b""))
        if response.status_code >= 400:
            data = response.json()
            assert set(data) == {"status", "code", "message", "errors"} and data["status"] == expected
        if expected == 401:
            assert response["WWW-Authenticate"].startswith("Bearer")
    if role == "expired":
        assert client.get("/api/v1/jobs/").json()["code"] == "token_expired"
    if role == "revoked":
        assert client.get("/api/v1/jobs/").json()["code"] == "token_revoked"


def test_a_wrong_token_is_refused_not_ignored(clients):
    from tests.apiclient import ApiClient

    response = ApiClient("jst_not-a-real-token").get("/api/v1/jobs/")
    assert response.status_code == 401 and response.json()["code"] == "token_invalid"


def test_session_auth_needs_csrf_for_writes(operator):
    from django.test import Client

    job = JobFactory()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(operator)
    assert browser.get("/api/v1/jobs/").status_code == 200
    refused = browser.post(f"/api/v1/jobs/{job.pk}/runs/", data="{}", content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["message"]
    assert not Run.objects.filter(job=job).exists()
    browser.get("/admin/")
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(f"/api/v1/jobs/{job.pk}/runs/", data="{}", content_type="application/json",
                            headers={"X-CSRFToken": token})
    assert accepted.status_code == 201 and accepted.json()["trigger"] == "api"


def test_download_permission_for_export_files(viewer, operator):
    from tests.apiclient import token_client

    assert token_client(viewer).get("/api/v1/export-files/1/download/").status_code == 403
    assert token_client(operator).get("/api/v1/export-files/1/download/").status_code == 404


def test_throttled_per_token(superuser, monkeypatch):
    from jobs.api.authentication import TokenRateThrottle
    from tests.apiclient import token_client

    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"api": "3/min"})
    first, second = token_client(superuser), token_client(superuser)
    codes = [first.get("/api/v1/job-types/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert first.get("/api/v1/job-types/").json()["code"] == "throttled"
    assert second.get("/api/v1/job-types/").status_code == 200
