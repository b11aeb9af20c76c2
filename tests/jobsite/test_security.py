"""Security headers on admin pages and downloads; login throttled per user name and address."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from exports.models import ExportFile
from jobs.models import RunLog
from tests.factories import JobFactory, RunFactory

pytestmark = pytest.mark.django_db


def assert_secure_headers(response):
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["frame-ancestors"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.fixture
def su(client, admin_user):
    client.force_login(admin_user)
    return client


def test_admin_pages_carry_the_security_headers(su, client):
    run = RunFactory(job=JobFactory())
    for url in (
        reverse("admin:index"),
        reverse("admin:jobs_job_changelist"),
        reverse("admin:jobs_job_change", args=[run.job.pk]),
        reverse("admin:jobs_run_change", args=[run.pk]),
        reverse("admin:jobs_run_status", args=[run.pk]),
    ):
        response = su.get(url)
        assert response.status_code == 200, url
        assert_secure_headers(response)


def test_login_page_carries_the_security_headers(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    assert_secure_headers(response)


def test_log_download_carries_the_security_headers(su):
    run = RunFactory()
    RunLog.objects.create(run=run, seq=0, level=20, logger="tests", message="one line", created_at=timezone.now())
    response = su.get(reverse("admin:jobs_run_logs", args=[run.pk]))
    assert response.status_code == 200 and response.streaming
    assert b"one line" in b"".join(response.streaming_content)
    assert_secure_headers(response)


def test_export_download_carries_the_security_headers(su, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    name = default_storage.save("exports/records.tar.gz", ContentFile(b"\x1f\x8bdata"))
    export = ExportFile.objects.create(run=RunFactory(), name=name, serializer="json", size=6, record_count=1, sha256="0" * 64)
    response = su.get(reverse("admin:exports_exportfile_download", args=[export.pk]))
    assert response.status_code == 200 and response.streaming
    assert_secure_headers(response)


def login(client, username, password, address):
    return client.post(
        reverse("admin:login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_login_is_locked_after_repeated_failures_for_that_user_and_address(client, admin_user, settings):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert login(client, "admin", "wrong", "203.0.113.5").status_code == 200  # the form again
    assert login(client, "admin", "wrong", "203.0.113.5").status_code == 429
    # Locked: even the right password is refused from that address for that user.
    assert login(client, "admin", "admin-password", "203.0.113.5").status_code == 429
    # Another address, or another user name from the same address, is not locked.
    response = login(client, "admin", "admin-password", "198.51.100.7")
    assert response.status_code == 302
    client.logout()
    assert login(client, "someone", "wrong", "203.0.113.5").status_code == 200


def test_fewer_failures_than_the_limit_do_not_lock(client, admin_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "admin", "wrong", "203.0.113.9")
    assert login(client, "admin", "admin-password", "203.0.113.9").status_code == 302
