"""403, 404 and 500 pages in the admin's look; a 403 says which permission is missing."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from jobsite.errors import server_error
from tests.factories import JobFactory, RunFactory
from tests.jobs.admin.test_admin import staff_client

BRAND = '<div id="site-name"><a href="/admin/">Jobsite administration</a></div>'


@pytest.fixture
def viewer():
    return staff_client("Job viewers")


def assert_admin_page(response, status):
    html = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert BRAND in html and "admin/css/base.css" in html
    assert "Django administration" not in html
    return html


@pytest.mark.django_db
def test_viewer_on_the_schedule_page_sees_why_in_the_admin_look(viewer):
    job = JobFactory()
    html = assert_admin_page(viewer.get(reverse("admin:jobs_job_schedule", args=[job.pk])), 403)
    assert "<title>Permission denied | Jobsite administration</title>" in html
    assert "Editing a job&#x27;s schedule needs the permission “Can change job” (jobs.change_job)." in html
    assert f"You are signed in as <strong>{viewer.user.username}</strong>" in html
    assert 'id="logout-form"' in html  # the admin's user links, so the viewer can sign out from here


@pytest.mark.django_db
def test_viewer_on_run_now_sees_why(viewer):
    job = JobFactory()
    for response in (viewer.get(reverse("admin:jobs_job_run", args=[job.pk])),
                     viewer.post(reverse("admin:jobs_job_run", args=[job.pk]), {"_run": "1"})):
        html = assert_admin_page(response, 403)
        assert "Running a job needs the permissions “Can run jobs” (jobs.run_job) and “Can view job”." in html
    assert job.runs.count() == 0


@pytest.mark.django_db
def test_viewer_on_cancel_and_run_again_sees_why(viewer):
    run = RunFactory(status="queued")
    cancel = assert_admin_page(viewer.post(reverse("admin:jobs_run_cancel", args=[run.pk])), 403)
    assert "Cancelling a run needs the permission “Can cancel runs” (jobs.cancel_run)." in cancel
    rerun = assert_admin_page(viewer.post(reverse("admin:jobs_run_rerun", args=[run.pk])), 403)
    assert "Running a job again needs the permission “Can run jobs” (jobs.run_job)." in rerun


@pytest.mark.django_db
def test_a_permission_denied_without_a_message_gets_a_general_reason(viewer):
    # Django's own delete view raises PermissionDenied without a message.
    html = assert_admin_page(viewer.get(reverse("admin:jobs_job_delete", args=[JobFactory().pk])), 403)
    assert "Your account does not have the permission this page needs." in html


@pytest.mark.django_db
def test_not_found_in_the_admin_look(settings, admin_client):
    settings.DEBUG = False
    html = assert_admin_page(admin_client.get("/no/such/page/"), 404)
    assert "<title>Page not found | Jobsite administration</title>" in html
    assert "Nothing was found at <code>/no/such/page/</code>." in html
    assert "Resolver404" not in html and "{" not in html.split('id="content"')[1].split("</main>")[0]


@pytest.mark.django_db
def test_not_found_shows_the_readable_reason(settings, admin_client):
    settings.DEBUG = False
    html = assert_admin_page(admin_client.get(reverse("admin:jobs_run_status", args=[987654])), 404)
    assert "<p>Run 987654 does not exist</p>" in html


@pytest.mark.django_db
def test_not_found_for_a_visitor_who_is_not_signed_in(settings, client):
    settings.DEBUG = False
    html = assert_admin_page(client.get("/no/such/page/"), 404)
    assert 'id="logout-form"' not in html and "You are signed in" not in html


def test_server_error_page_needs_no_request_context_and_no_database():
    # No django_db mark: any query would fail this test.
    response = server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert BRAND in html and "admin/css/base.css" in html
    assert "<title>Server error | Jobsite administration</title>" in html


def test_an_uncaught_exception_renders_the_500_page(client, settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.jobsite.urls_broken"
    client.raise_request_exception = False
    response = client.get("/broken/")
    html = response.content.decode()
    assert response.status_code == 500
    assert BRAND in html and "must not see" not in html
