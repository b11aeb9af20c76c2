"""One JSON error shape under /api/: DRF errors, unknown paths (404) and bugs (500), never an HTML page."""

from __future__ import annotations

import pytest
from django.test import Client

from jobs.api.views import jobtypes

pytestmark = pytest.mark.django_db

SHAPE = {"status", "code", "message", "errors"}


def test_unknown_api_path_is_json_and_other_paths_keep_django_pages(su_api):
    response = su_api.get("/api/v1/no/such/thing/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json() == {"status": 404, "code": "not_found", "message": "No such resource.", "errors": {}}
    assert "text/html" in Client().get("/no/such/page/")["Content-Type"]


def test_a_bug_is_a_json_500_without_traceback(su_api, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(jobtypes, "job_type_info", broken)
    su_api.client.raise_request_exception = False
    response = su_api.get("/api/v1/job-types/")
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == SHAPE and body["code"] == "server_error" and b"secret" not in response.content


def test_malformed_json_and_wrong_method_use_the_shape(su_api):
    bad = su_api.client.post("/api/v1/jobs/", data="{not json", content_type="application/json",
                             headers=su_api.headers)
    assert bad.status_code == 400 and set(bad.json()) == SHAPE and bad.json()["code"] == "parse_error"
    wrong = su_api.client.put("/api/v1/runs/", data="{}", content_type="application/json", headers=su_api.headers)
    assert wrong.status_code == 405 and set(wrong.json()) == SHAPE and wrong.json()["code"] == "method_not_allowed"


def test_nested_field_errors_keep_their_path(su_api):
    from tests.factories import JobFactory

    job = JobFactory(task_type="test_fields", default_args={"text": "x"})
    response = su_api.post(f"/api/v1/jobs/{job.pk}/runs/", {"args": {"tags": [1, "ok"], "mode": "medium"}})
    body = response.json()
    assert response.status_code == 400 and body["code"] == "invalid"
    assert body["errors"]["args"]["mode"] == ["Must be one of: fast, slow."]
    assert body["errors"]["args"]["tags"] == {"0": ["Not a valid string."]}
